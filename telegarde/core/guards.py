"""Database-level guards that make the security event table append-only.

The ORM refuses updates and deletes already; these triggers refuse them for raw SQL
too. Whoever may drop a trigger can still edit rows: ``telegarde verify-log`` detects
that. TRUNCATE is not guarded by a trigger (Django's own ``flush`` needs it and it
requires table ownership, which the application's database role should not have in
production: see docs/deployment.md); verification detects it through the chain head.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "core_securityevent"

CREATE = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION telegarde_refuse_event_change() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'security events are append-only'; END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION telegarde_refuse_event_change();""",
    ],
}

DROP = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
    ],
    "postgresql": [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"],
}


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in CREATE.get(connection.vendor, []):
            cursor.execute(sql)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in DROP.get(connection.vendor, []):
            cursor.execute(sql)


@contextmanager
def lifted(connection: Any) -> Iterator[None]:
    """Guards off for the duration of the block, then back on."""
    remove(connection)
    try:
        yield
    finally:
        install(connection)
