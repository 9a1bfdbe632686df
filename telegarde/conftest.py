"""Shared test personas (STYLE §12) and helpers.

Passwords are hashed once per session with the real Argon2 hasher and the hash reused,
so tests do not spend 80 ms of CPU per persona.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client

from telegarde.accounts.actions import (
    do_create_organisation,
    do_create_user,
    do_grant_role,
    do_set_patient_profile,
    do_set_practitioner_profile,
)
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.models import SecurityEvent
from telegarde.lib.identifiers import luhn_check_digit

PASSWORD = "correct-horse-battery-staple-42"
# Debian's Chromium drives every browser test (`make browser` installs it).
CHROMIUM = "/usr/bin/chromium"
Role = Membership.Role


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pages are served with hashed static names, as in production: collect them once."""
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = str(tmp_path_factory.mktemp("static"))
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def fresh_throttle(settings: Any) -> Iterator[None]:
    """Each test starts with empty sign-in budgets (its own Redis prefix when shared)."""
    from telegarde.accounts.throttle.backends import backend

    settings.REDIS_PREFIX = f"{settings.REDIS_PREFIX}-{uuid.uuid4().hex[:10]}"
    backend.cache_clear()
    yield
    if settings.REDIS_URL:
        backend().reset()
    backend.cache_clear()


@cache
def password_hash() -> str:
    return make_password(PASSWORD)


def enrol_totp(user: User) -> str:
    """A confirmed authenticator, as after enrolment; returns the seed to compute codes."""
    from telegarde.accounts.mfa.actions import do_enrol_known_totp

    secret = pyotp.random_base32()
    do_enrol_known_totp(user, secret)
    return secret


def make_user(email: str, first_name: str = "", last_name: str = "") -> User:
    user = do_create_user(email, None, first_name=first_name, last_name=last_name, acting_user=None)
    user.password = password_hash()
    user.save(update_fields=["password"])
    return user


def rpps(base: str) -> str:
    return base + luhn_check_digit(base)


@dataclass
class Personas:
    organisation: Organisation
    other_organisation: Organisation
    patient: User
    other_patient: User
    practitioner: User
    other_practitioner: User
    staff: User
    security_officer: User
    outsider: User


def make_patient(email: str, organisation: Organisation, last_name: str) -> User:
    user = make_user(email, first_name="Test", last_name=last_name)
    do_grant_role(user, organisation, Role.PATIENT, acting_user=None)
    do_set_patient_profile(
        user,
        birth_last_name=last_name,
        first_names="Test",
        birth_date=date(1980, 1, 2),
        sex="F",
        birthplace_code="75056",
        acting_user=None,
    )
    return user


@pytest.fixture
def personas(db: Any) -> Personas:
    org = do_create_organisation("MSP des Tests", "msp", acting_user=None)
    other_org = do_create_organisation("Pharmacie Ailleurs", "pharmacy", acting_user=None)
    practitioner = make_user("praticien@test.fr", first_name="Paul", last_name="Praticien")
    do_grant_role(practitioner, org, Role.PRACTITIONER, acting_user=None)
    do_set_practitioner_profile(
        practitioner, rpps=rpps("1000000001"), profession="physician", acting_user=None
    )
    other_practitioner = make_user("autre.praticien@test.fr")
    do_grant_role(other_practitioner, other_org, Role.PRACTITIONER, acting_user=None)
    staff = make_user("secretariat@test.fr")
    do_grant_role(staff, org, Role.STAFF, acting_user=None)
    officer = make_user("rssi@test.fr")
    do_grant_role(officer, org, Role.SECURITY_OFFICER, acting_user=None)
    outsider = make_user("intrus@test.fr")
    do_grant_role(outsider, other_org, Role.ORG_ADMIN, acting_user=None)
    do_grant_role(outsider, other_org, Role.SECURITY_OFFICER, acting_user=None)
    for professional in (practitioner, other_practitioner, staff, officer, outsider):
        enrol_totp(professional)
    return Personas(
        organisation=org,
        other_organisation=other_org,
        patient=make_patient("patiente@test.fr", org, "PATIENTE"),
        other_patient=make_patient("autre.patient@test.fr", other_org, "AUTRE"),
        practitioner=practitioner,
        other_practitioner=other_practitioner,
        staff=staff,
        security_officer=officer,
        outsider=outsider,
    )


def sign_in(client: Client, user: User) -> Client:
    """``force_login`` plus what a real sign-in leaves in the session (its clocks, its
    listing among the user's sessions), so session hygiene lets the test through."""
    import time

    from telegarde.accounts.factors import second_factor_required
    from telegarde.accounts.login_flow import AUTH_AT_KEY, PROFESSIONAL_KEY, SEEN_AT_KEY
    from telegarde.accounts.models import UserSession

    client.force_login(user)
    session = client.session
    session[AUTH_AT_KEY] = session[SEEN_AT_KEY] = time.time()
    session[PROFESSIONAL_KEY] = second_factor_required(user)
    session.save()
    UserSession.objects.create(user=user, session_key=str(session.session_key))
    return client


@pytest.fixture
def login(client: Client) -> Any:
    def as_user(user: User) -> Client:
        return sign_in(client, user)

    return as_user


def last_event(action: str) -> SecurityEvent:
    event = SecurityEvent.objects.filter(action=action).order_by("-seq").first()
    if event is None:
        raise AssertionError(f"no {action} event was recorded")
    return event


@pytest.fixture
def database_url() -> Iterator[str]:
    """A URL naming the current test database, for subprocesses that must share it."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        where = f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
        yield f"postgres://{auth}@{where}/{settings['NAME']}"
    else:
        yield f"sqlite:///{settings['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def served_env(var: Path, **env_vars: str) -> dict[str, str]:
    """The environment of an installation in ``var``: the test run's own TELEGARDE_*
    variables replaced by ``env_vars``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGARDE_", "PYTEST", "DJANGO_"))
    }
    # The test machine runs the suite in parallel with browsers: its servers' event
    # loops run late because of everything else, which the shield would take for
    # saturation and make anonymous sign-ins wait (CI saw a sign-in time out). The lag
    # probe has tests of its own (shield/tests/test_middleware.py).
    env.update(TELEGARDE_VAR_DIR=str(var), TELEGARDE_SHIELD_LAG_PRESSURE_MS="500")
    env.update(env_vars)
    return env


@contextmanager
def served_platform(var: Path, port: int, **env_vars: str) -> Iterator[subprocess.Popen[bytes]]:
    """``telegarde serve`` on a fresh installation in ``var`` (migrate, static, demo)."""
    env = served_env(var, **env_vars)
    cli = [sys.executable, "-m", "telegarde"]
    for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["demo"]):
        subprocess.run([*cli, *step], env=env, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.communicate()[0]!r}")
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def platform_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``telegarde serve`` on a fresh database with the demo data: the real path."""
    # Refusals are held a second, not five: tests that go over a budget on purpose
    # would otherwise wait five seconds per refusal.
    env = {"TELEGARDE_MAX_BODY_BYTES": str(1024 * 1024), "TELEGARDE_SHIELD_HOLD_SECONDS": "1"}
    served_db = _served_postgres_database()
    if served_db:
        # The production profile: its own PostgreSQL database, and the shared Redis.
        env["TELEGARDE_DATABASE_URL"] = served_db
        env["TELEGARDE_REDIS_URL"] = os.environ.get("TELEGARDE_REDIS_URL", "")
        env["TELEGARDE_REDIS_PREFIX"] = f"served-{os.getpid()}"
    port = free_port()
    try:
        with served_platform(tmp_path_factory.mktemp("var"), port, **env):
            yield f"http://127.0.0.1:{port}"
    finally:
        if served_db:
            _drop_postgres_database(served_db)


def _served_postgres_database() -> str | None:
    url = os.environ.get("TELEGARDE_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    name = f"telegarde_served_{os.getpid()}"
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
