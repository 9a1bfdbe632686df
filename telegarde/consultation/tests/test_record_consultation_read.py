"""do_record_consultation_read: reads by anyone but the patient are audited."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_record_consultation_read
from telegarde.consultation.models import Room
from telegarde.core.models import SecurityEvent

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def read_as(room: Room, user: User | AnonymousUser) -> None:
    request = RequestFactory().get("/")
    request.user = user
    do_record_consultation_read(room, request=request)


def test_it_records_the_practitioners_read(personas: Personas, room: Room) -> None:
    read_as(room, personas.practitioner)

    event = last_event("patient.record.viewed")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(personas.patient.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)
    assert event.data == {
        "reason": "appointment",
        "record": "consultation",
        "room": str(room.external_id),
    }


def test_it_does_not_record_the_patient_reading_their_own_record(
    personas: Personas, room: Room
) -> None:
    read_as(room, personas.patient)

    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()
