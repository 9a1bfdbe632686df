"""What an attacker with database rights does: switch the guards off and edit rows."""

from __future__ import annotations

from django.db import connection

from telegarde.core import guards


def raw(sql: str, params: list[str | int] | None = None) -> None:
    with guards.lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
