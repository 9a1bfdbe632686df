"""do_admit_participant and do_refuse_participant: the practitioner's decision only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import (
    do_admit_participant,
    do_end_consultation,
    do_join_room,
    do_refuse_participant,
)
from telegarde.consultation.models import Participant, Room

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401

State = Participant.State


def waiting_patient(personas: Personas, room: Room) -> Participant:
    return do_join_room(participant(room, personas.patient))


def test_it_admits_a_waiting_patient_and_starts_the_consultation(
    personas: Personas, room: Room
) -> None:
    patient = waiting_patient(personas, room)

    do_admit_participant(room, patient, acting_user=personas.practitioner)

    patient.refresh_from_db()
    room.refresh_from_db()
    assert patient.state == State.ADMITTED
    assert patient.admitted_at is not None
    assert room.status == Room.Status.IN_PROGRESS
    assert room.started_at is not None
    event = last_event("consultation.room.admitted")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"participant": str(patient.external_id), "role": "patient"}


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "staff", "outsider"])
def test_it_lets_only_the_practitioner_admit(personas: Personas, room: Room, who: str) -> None:
    patient = waiting_patient(personas, room)
    user: User = getattr(personas, who)

    with pytest.raises(ValidationError):
        do_admit_participant(room, patient, acting_user=user)

    patient.refresh_from_db()
    assert patient.state == State.WAITING


def test_it_admits_only_someone_who_waits(personas: Personas, room: Room) -> None:
    with pytest.raises(ValidationError):
        do_admit_participant(
            room, participant(room, personas.patient), acting_user=personas.practitioner
        )


def test_it_admits_nobody_into_an_ended_consultation(personas: Personas, room: Room) -> None:
    patient = waiting_patient(personas, room)
    stale = Room.objects.get(pk=room.pk)
    do_end_consultation(room, acting_user=personas.practitioner)
    Participant.objects.filter(pk=patient.pk).update(state=State.WAITING)

    with pytest.raises(ValidationError):
        do_admit_participant(stale, patient, acting_user=personas.practitioner)


def test_it_refuses_a_waiting_patient(personas: Personas, room: Room) -> None:
    patient = waiting_patient(personas, room)

    do_refuse_participant(room, patient, acting_user=personas.practitioner)

    patient.refresh_from_db()
    assert patient.state == State.REFUSED
    event = last_event("consultation.room.refused")
    assert event.outcome == "failure"
    assert event.data["participant"] == str(patient.external_id)


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "outsider"])
def test_it_lets_only_the_practitioner_refuse(personas: Personas, room: Room, who: str) -> None:
    patient = waiting_patient(personas, room)

    with pytest.raises(ValidationError):
        do_refuse_participant(room, patient, acting_user=getattr(personas, who))

    patient.refresh_from_db()
    assert patient.state == State.WAITING


def test_it_never_refuses_the_practitioner(personas: Personas, room: Room) -> None:
    with pytest.raises(ValidationError):
        do_refuse_participant(
            room, participant(room, personas.practitioner), acting_user=personas.practitioner
        )
