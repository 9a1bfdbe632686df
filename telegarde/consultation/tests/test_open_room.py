"""do_open_room: the appointment's room with its patient and practitioner."""

from __future__ import annotations

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_open_room
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import SecurityEvent
from telegarde.scheduling.models import Appointment

from .fixtures import appointment_fixture  # noqa: F401


def test_it_opens_the_room_with_its_two_participants(
    personas: Personas, appointment: Appointment
) -> None:
    room = do_open_room(appointment)

    assert room.status == Room.Status.OPEN
    people = {p.role: p for p in room.participants.all()}
    assert set(people) == {Participant.Role.PATIENT, Participant.Role.PRACTITIONER}
    assert people[Participant.Role.PATIENT].user == personas.patient
    assert people[Participant.Role.PRACTITIONER].user == personas.practitioner
    assert people[Participant.Role.PATIENT].display_name == personas.patient.display_name
    assert all(p.state == Participant.State.AWAY for p in people.values())


def test_it_records_its_event(appointment: Appointment) -> None:
    room = do_open_room(appointment)

    event = last_event("consultation.room.opened")
    assert event.target_id == str(room.external_id)
    assert event.data == {"appointment": str(appointment.external_id)}


def test_it_is_idempotent(appointment: Appointment) -> None:
    first = do_open_room(appointment)
    second = do_open_room(appointment)

    assert first == second
    assert second.participants.count() == 2
    assert SecurityEvent.objects.filter(action="consultation.room.opened").count() == 1
