"""Create the chain head, and make the event table append-only in the database itself.

The ORM already refuses updates and deletes; these triggers refuse them for raw SQL too,
on SQLite and PostgreSQL. Someone with the rights to drop a trigger can still edit rows:
that is what ``telegarde verify-log`` detects.
"""

from django.db import migrations

TABLE = "core_securityevent"

SQLITE_GUARDS = [
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update;", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;"]

POSTGRES_GUARDS = [
    """CREATE OR REPLACE FUNCTION telegarde_refuse_event_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'security events are append-only'; END; $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION telegarde_refuse_event_change();""",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION telegarde_refuse_event_change();""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS telegarde_refuse_event_change();",
]


def create_head(apps, schema_editor):
    head_model = apps.get_model("core", "EventChainHead")
    head_model.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


def add_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_GUARDS, "postgresql": POSTGRES_GUARDS}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(add_guards, drop_guards),
    ]
