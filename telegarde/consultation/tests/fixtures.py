"""Appointments and rooms for the consultation tests, made directly with the models (the
scheduling actions are not what these tests are about).

Import the fixtures into a test module by name: ``from .fixtures import appointment_fixture``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from telegarde.accounts.models import User
from telegarde.conftest import Personas
from telegarde.consultation.actions import do_invite_guest, do_open_room
from telegarde.consultation.models import Participant, Room
from telegarde.scheduling.models import Appointment


def make_appointment(
    personas: Personas,
    *,
    patient: User | None = None,
    practitioner: User | None = None,
    minutes_from_now: int = 0,
) -> Appointment:
    """A booked video appointment of ``patient`` (the persona by default) with
    ``practitioner``, starting about now (today, for the waiting-room queue)."""
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(
        minutes=minutes_from_now
    )
    return Appointment.objects.create(
        organisation=personas.organisation,
        practitioner=practitioner or personas.practitioner,
        patient=patient or personas.patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        kind="video",
    )


def participant(room: Room, user: User) -> Participant:
    return room.participants.get(user=user)


@pytest.fixture(name="appointment")
def appointment_fixture(personas: Personas) -> Appointment:
    return make_appointment(personas)


@pytest.fixture(name="room")
def room_fixture(appointment: Appointment) -> Room:
    return do_open_room(appointment)


def invite_guest(room: Room, acting_user: User) -> Participant:
    """A relative invited to ``room`` by ``acting_user`` (the mail goes after commit)."""
    return do_invite_guest(
        room,
        email="proche@example.org",
        display_name="Pierre Proche",
        relation="relative",
        acting_user=acting_user,
    )


def mailed_guest_code() -> str:
    """The one-time code of the last invitation mailed."""
    found = re.search(r"code à usage unique : (\d{8})", str(mail.outbox[-1].body))
    assert found is not None, "no invitation code in the last mail"
    return found.group(1)


@pytest.fixture(name="invited")
def invited_fixture(
    personas: Personas, room: Room, django_capture_on_commit_callbacks: Any
) -> tuple[Participant, str]:
    """A guest invited to the room by its practitioner, and the code mailed to them."""
    with django_capture_on_commit_callbacks(execute=True):
        guest = invite_guest(room, personas.practitioner)
    return guest, mailed_guest_code()
