"""Threads for the messaging tests, started through the actions.

Import the fixtures into a test module by name: ``from .fixtures import patient_thread_fixture``.
"""

from __future__ import annotations

import pytest

from telegarde.accounts.actions import do_grant_role
from telegarde.accounts.models import Membership, User
from telegarde.conftest import Personas, enrol_totp, make_user
from telegarde.messaging.actions import do_start_thread
from telegarde.messaging.models import Thread


def start_patient_thread(personas: Personas, body: str = "Bonjour docteur") -> Thread:
    """The patient writes to their practitioner."""
    return do_start_thread(
        organisation=personas.organisation,
        patient=personas.patient,
        kind=Thread.Kind.PATIENT,
        recipient=personas.practitioner,
        body=body,
        acting_user=personas.patient,
    )


@pytest.fixture(name="patient_thread")
def patient_thread_fixture(personas: Personas) -> Thread:
    return start_patient_thread(personas)


@pytest.fixture(name="colleague")
def colleague_fixture(personas: Personas) -> User:
    """A second practitioner of the persona organisation."""
    user = make_user("consoeur@test.fr", first_name="Claire", last_name="Consoeur")
    do_grant_role(user, personas.organisation, Membership.Role.PRACTITIONER, acting_user=None)
    enrol_totp(user)
    return user


@pytest.fixture(name="colleague_thread")
def colleague_thread_fixture(personas: Personas, colleague: User) -> Thread:
    """The practitioner asks a colleague's opinion about the patient."""
    return do_start_thread(
        organisation=personas.organisation,
        patient=personas.patient,
        kind=Thread.Kind.COLLEAGUES,
        recipient=colleague,
        body="Ton avis sur cette éruption ?",
        acting_user=personas.practitioner,
    )
