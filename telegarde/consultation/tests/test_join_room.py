"""do_join_room and do_leave_room: patients wait, the practitioner is in their room."""

from __future__ import annotations

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_join_room, do_leave_room
from telegarde.consultation.models import Participant, Room

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401

State = Participant.State


def test_it_puts_the_patient_in_the_waiting_room(personas: Personas, room: Room) -> None:
    joined = do_join_room(participant(room, personas.patient), source_ip="192.0.2.7")

    assert joined.state == State.WAITING
    assert joined.connections == 1
    assert joined.waiting_since is not None
    event = last_event("consultation.room.joined")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.source_ip == "192.0.2.7"
    assert event.data == {"participant": str(joined.external_id), "role": "patient"}


def test_it_admits_the_practitioner_to_their_own_room(personas: Personas, room: Room) -> None:
    joined = do_join_room(participant(room, personas.practitioner))

    assert joined.state == State.ADMITTED
    assert joined.admitted_at is not None


def test_it_counts_connections_and_records_the_departure(personas: Personas, room: Room) -> None:
    patient = participant(room, personas.patient)
    do_join_room(patient)
    do_join_room(patient)

    after_one = do_leave_room(patient)
    assert (after_one.connections, after_one.state) == (1, State.WAITING)
    after_two = do_leave_room(patient)
    assert (after_two.connections, after_two.state) == (0, State.AWAY)
    event = last_event("consultation.room.left")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data["role"] == "patient"


def test_it_keeps_an_admitted_patient_admitted_across_a_reconnection(
    personas: Personas, room: Room
) -> None:
    patient = participant(room, personas.patient)
    do_join_room(patient)
    Participant.objects.filter(pk=patient.pk).update(state=State.ADMITTED)

    do_leave_room(patient)
    again = do_join_room(patient)

    assert again.state == State.ADMITTED


def test_it_never_counts_below_zero(personas: Personas, room: Room) -> None:
    assert do_leave_room(participant(room, personas.patient)).connections == 0
