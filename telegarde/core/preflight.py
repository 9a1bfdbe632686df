"""Start-up checks that turn an unreachable database or Redis into one clear message."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from telegarde.lib.env import ConfigError, ServiceUnavailable


def check_database() -> None:
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnavailable(
            "TELEGARDE_DATABASE_URL",
            f"the database cannot be reached ({first_line})",
            "check the URL, that the server runs and accepts this user",
        ) from exc


def check_migrations() -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise ConfigError(
            "database",
            f"has {len(pending)} migration(s) not applied",
            "run: telegarde migrate",
        )


def check_redis() -> None:
    if not settings.REDIS_URL:
        return
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            "TELEGARDE_REDIS_URL",
            f"Redis cannot be reached ({exc})",
            "check the URL and that Redis runs, or unset it to use in-process memory",
        ) from exc


def check_all() -> None:
    check_database()
    check_migrations()
    check_redis()
