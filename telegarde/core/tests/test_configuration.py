"""Bad configuration stops the CLI with one clear message naming the variable, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"
PRODUCTION_OK = {
    "TELEGARDE_MODE": "production",
    "TELEGARDE_SECRET_KEY": GOOD_KEY,
    "TELEGARDE_PUBLIC_URL": "https://telegarde.example.fr",
    "TELEGARDE_ALLOWED_HOSTS": "telegarde.example.fr",
    "TELEGARDE_EVENT_LOG_KEY": "ev3nt-" + "0123456789abcdefghijklmnopqrstuvwxyz",
    "TELEGARDE_DATA_KEY": "d4ta-" + "zyxwvutsrqponmlkjihgfedcba9876543210",
}


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGARDE_", "PYTEST", "DJANGO_"))
    }
    clean.update(TELEGARDE_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "telegarde", *args],
        env=clean, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "named", "said"),
    [
        ({"TELEGARDE_SECRET_KEY": ""}, "TELEGARDE_SECRET_KEY", "not set in production"),
        ({"TELEGARDE_SECRET_KEY": "short"}, "TELEGARDE_SECRET_KEY", "too short"),
        ({"TELEGARDE_SECRET_KEY": "a" * 80}, "TELEGARDE_SECRET_KEY", "too repetitive"),
        ({"TELEGARDE_DEBUG": "1"}, "TELEGARDE_DEBUG", "on in production"),
        (
            {"TELEGARDE_PUBLIC_URL": "http://telegarde.example.fr"},
            "TELEGARDE_PUBLIC_URL",
            "not HTTPS",
        ),
        ({"TELEGARDE_ALLOWED_HOSTS": ""}, "TELEGARDE_ALLOWED_HOSTS", "explicitly"),
        ({"TELEGARDE_ALLOWED_HOSTS": "*"}, "TELEGARDE_ALLOWED_HOSTS", "explicitly"),
        ({"TELEGARDE_EVENT_LOG_KEY": ""}, "TELEGARDE_EVENT_LOG_KEY", "not set in production"),
        ({"TELEGARDE_EVENT_LOG_KEY": "x" * 40}, "TELEGARDE_EVENT_LOG_KEY", "too repetitive"),
        ({"TELEGARDE_DATA_KEY": ""}, "TELEGARDE_DATA_KEY", "not set in production"),
        ({"TELEGARDE_LOGIN_THROTTLE": "0"}, "TELEGARDE_LOGIN_THROTTLE", "off in production"),
        ({"TELEGARDE_DATA_KEY": "short"}, "TELEGARDE_DATA_KEY", "too short"),
    ],
)
def test_production_refuses_an_insecure_setting(
    tmp_path: Path, change: dict[str, str], named: str, said: str
) -> None:
    result = run_cli(tmp_path, "check", **{**PRODUCTION_OK, **change})
    assert result.returncode == 2
    assert named in result.stderr and said in result.stderr
    assert "how to fix" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_production_lists_every_insecure_setting_at_once(tmp_path: Path) -> None:
    env = {**PRODUCTION_OK, "TELEGARDE_DEBUG": "1", "TELEGARDE_PUBLIC_URL": "http://x.fr"}
    result = run_cli(tmp_path, "check", **env)
    assert result.returncode == 2
    assert "TELEGARDE_DEBUG" in result.stderr and "TELEGARDE_PUBLIC_URL" in result.stderr


def test_production_starts_with_secure_settings(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", "--deploy", "--fail-level", "ERROR", **PRODUCTION_OK)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TELEGARDE_DEBUG": "maybe"}, "TELEGARDE_DEBUG"),
        ({"TELEGARDE_MODE": "prod"}, "TELEGARDE_MODE"),
        ({"TELEGARDE_DATABASE_URL": "mysql://db/telegarde"}, "TELEGARDE_DATABASE_URL"),
        ({"TELEGARDE_DATABASE_URL": "postgres://db:99999/telegarde"}, "TELEGARDE_DATABASE_URL"),
        ({"TELEGARDE_REDIS_URL": "memcached://x"}, "TELEGARDE_REDIS_URL"),
        ({"TELEGARDE_SESSION_IDLE_PRO": "soon"}, "TELEGARDE_SESSION_IDLE_PRO"),
        ({"TELEGARDE_LOGIN_BACKOFF_SECONDS": "30"}, "TELEGARDE_LOGIN_BACKOFF_SECONDS"),
        ({"TELEGARDE_EVENT_SINK": "kafka://x"}, "TELEGARDE_EVENT_SINK"),
        ({"TELEGARDE_SECRET_KEY_FILE": "/nonexistent/secret"}, "TELEGARDE_SECRET_KEY_FILE"),
        ({"TELEGARDE_THREADS": "0"}, "TELEGARDE_THREADS"),
        ({"TELEGARDE_MAX_BODY_BYTES": "big"}, "TELEGARDE_MAX_BODY_BYTES"),
        ({"TELEGARDE_LOG_LEVEL": "loud"}, "TELEGARDE_LOG_LEVEL"),
    ],
)
def test_a_malformed_value_is_named(tmp_path: Path, env: dict[str, str], named: str) -> None:
    result = run_cli(tmp_path, "check", **env)
    assert result.returncode == 2
    assert f"configuration error: {named} " in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_unreachable_database_with_a_retryable_code(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "serve",
        "--port",
        "1",
        TELEGARDE_DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
    )
    assert result.returncode == 3
    assert (
        "service unavailable: TELEGARDE_DATABASE_URL the database cannot be reached"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_unreachable_redis(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "migrate", "-v0").returncode == 0
    result = run_cli(tmp_path, "serve", "--port", "1", TELEGARDE_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 3
    assert "TELEGARDE_REDIS_URL Redis cannot be reached" in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "serve", "--port", "1")
    assert result.returncode == 2
    assert "run: telegarde migrate" in result.stderr


def test_secrets_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(GOOD_KEY + "\n")
    env = {**PRODUCTION_OK, "TELEGARDE_SECRET_KEY": "", "TELEGARDE_SECRET_KEY_FILE": str(secret)}
    env.pop("TELEGARDE_SECRET_KEY")
    result = run_cli(tmp_path, "check", **env)
    assert result.returncode == 0, result.stderr
