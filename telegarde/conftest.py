"""Shared test personas (STYLE §12) and helpers.

Passwords are hashed once per session with the real Argon2 hasher and the hash reused,
so tests do not spend 80 ms of CPU per persona.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

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
Role = Membership.Role


@cache
def password_hash() -> str:
    return make_password(PASSWORD)


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


@pytest.fixture
def login(client: Client) -> Any:
    def as_user(user: User) -> Client:
        client.force_login(user)
        return client

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
