"""Typed readers for configuration from environment variables.

Every reader fails loudly with a ``ConfigError`` naming the variable, so that a bad
value stops the process with a message an operator can act on, never a traceback.
Secrets may also come from a file named by ``<NAME>_FILE`` (container secrets).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """A configuration value is missing, malformed or insecure (exit code 2)."""

    exit_code = 2

    def __init__(self, name: str, problem: str, fix: str = "") -> None:
        self.name = name
        self.problem = problem
        self.fix = fix
        super().__init__(f"{name}: {problem}" + (f" — {fix}" if fix else ""))


class ServiceUnavailable(ConfigError):
    """A service the configuration names cannot be reached now (exit code 3): a
    supervisor may retry, unlike a configuration error."""

    exit_code = 3


class ConfigErrors(Exception):
    """Several configuration errors, all reported at once."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ConfigError(name, f"both {name} and {name}_FILE are set", "set only one of them")
    if file_name is not None:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{name}_FILE", f"cannot read {file_name!r} ({exc.strerror})"
            ) from exc
    return value


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_optional(name: str) -> str | None:
    value = _raw(name)
    return None if value is None or value == "" else value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(name, f"{value!r} is not a boolean", "use one of 1/0, true/false, yes/no")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value.strip())
    except ValueError as exc:
        raise ConfigError(name, f"{value!r} is not a whole number") from exc
    if minimum is not None and number < minimum:
        raise ConfigError(name, f"{number} is below the minimum of {minimum}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(name, f"{value!r} is not allowed", f"use one of: {', '.join(choices)}")
    return value


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed ``TELEGARDE_DATABASE_URL``."""

    engine: str
    name: str
    host: str = ""
    port: int | None = None
    user: str = ""
    password: str = ""
    options: dict[str, str] | None = None


def parse_database_url(name: str, url: str) -> DatabaseUrl:
    """Parse ``sqlite:///path``, ``sqlite:///:memory:`` or ``postgres://user:pw@host:port/db``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative/file and sqlite:////absolute/file, as other tools read them.
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError(
                name, "the SQLite URL names no file", "example: sqlite:///var/db.sqlite3"
            )
        return DatabaseUrl(engine="django.db.backends.sqlite3", name=path)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ConfigError(
                name,
                "the PostgreSQL URL names no database",
                "example: postgres://user@host/telegarde",
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigError(name, "the port is not a number between 1 and 65535") from exc
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return DatabaseUrl(
            engine="django.db.backends.postgresql",
            name=db_name,
            host=unquote(parts.hostname or ""),
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            options=query,
        )
    raise ConfigError(
        name,
        f"unsupported scheme {parts.scheme!r}",
        "use sqlite:///path/to/file.sqlite3 or postgres://user:password@host:5432/name",
    )


def check_redis_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(
            name, f"unsupported scheme {parts.scheme!r}", "example: redis://127.0.0.1:6379/0"
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(name, "the port is not a number between 1 and 65535") from exc
    return url
