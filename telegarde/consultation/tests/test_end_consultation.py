"""do_end_consultation: the practitioner ends the call; the appointment is completed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import (
    do_admit_participant,
    do_end_consultation,
    do_join_room,
    do_refuse_participant,
)
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import SecurityEvent
from telegarde.scheduling.models import Appointment

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401


def test_it_ends_the_room_and_completes_the_appointment(personas: Personas, room: Room) -> None:
    patient = do_join_room(participant(room, personas.patient))
    do_admit_participant(room, patient, acting_user=personas.practitioner)

    ended = do_end_consultation(room, acting_user=personas.practitioner)

    assert ended.status == Room.Status.ENDED
    assert ended.ended_at is not None
    assert set(room.participants.values_list("state", flat=True)) == {Participant.State.LEFT}
    assert Appointment.objects.get(pk=room.appointment_id).status == "completed"
    event = last_event("consultation.ended")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"reason": "hangup"}


def test_it_leaves_a_refused_person_refused(personas: Personas, room: Room) -> None:
    patient = do_join_room(participant(room, personas.patient))
    do_refuse_participant(room, patient, acting_user=personas.practitioner)

    do_end_consultation(room, acting_user=personas.practitioner)

    patient.refresh_from_db()
    assert patient.state == Participant.State.REFUSED


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "staff", "outsider"])
def test_it_lets_only_the_practitioner_end(personas: Personas, room: Room, who: str) -> None:
    with pytest.raises(ValidationError):
        do_end_consultation(room, acting_user=getattr(personas, who))

    assert Room.objects.get(pk=room.pk).status == Room.Status.OPEN
    assert Appointment.objects.get(pk=room.appointment_id).status == "booked"


def test_it_ends_once_even_from_a_stale_copy(personas: Personas, room: Room) -> None:
    other_tab = Room.objects.get(pk=room.pk)
    first = do_end_consultation(room, acting_user=personas.practitioner)

    again = do_end_consultation(other_tab, acting_user=personas.practitioner)

    assert again.ended_at == first.ended_at
    assert SecurityEvent.objects.filter(action="consultation.ended").count() == 1


def test_it_leaves_a_cancelled_appointment_cancelled(personas: Personas, room: Room) -> None:
    Appointment.objects.filter(pk=room.appointment_id).update(status="cancelled")

    do_end_consultation(room, acting_user=personas.practitioner)

    assert Appointment.objects.get(pk=room.appointment_id).status == "cancelled"
