"""Create the chain head, and make the event table append-only in the database itself."""

from django.db import migrations

from telegarde.core import guards


def create_head(apps, schema_editor):
    head_model = apps.get_model("core", "EventChainHead")
    head_model.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


def add_guards(apps, schema_editor):
    guards.install(schema_editor.connection)


def drop_guards(apps, schema_editor):
    guards.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(add_guards, drop_guards),
    ]
