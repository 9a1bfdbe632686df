"""do_record_sas_result: the practitioner says whether the words matched."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_record_sas_result
from telegarde.consultation.models import Room
from telegarde.scheduling.models import Appointment

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def test_it_records_matching_words(personas: Personas, room: Room) -> None:
    result = do_record_sas_result(room, matched=True, acting_user=personas.practitioner)

    assert result.sas == Room.Sas.CONFIRMED
    assert result.status == Room.Status.OPEN
    event = last_event("consultation.sas.confirmed")
    assert event.actor_id == str(personas.practitioner.external_id)


def test_it_ends_the_call_when_the_words_differ(personas: Personas, room: Room) -> None:
    result = do_record_sas_result(room, matched=False, acting_user=personas.practitioner)

    assert result.sas == Room.Sas.MISMATCH
    assert result.status == Room.Status.ENDED
    assert last_event("consultation.sas.mismatch").outcome == "failure"
    assert last_event("consultation.ended").data == {"reason": "sas_mismatch"}
    appointment = Appointment.objects.get(pk=room.appointment_id)
    assert appointment.status == Appointment.Status.COMPLETED


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "outsider"])
@pytest.mark.parametrize("matched", [True, False])
def test_it_lets_only_the_practitioner_confirm(
    personas: Personas, room: Room, who: str, matched: bool
) -> None:
    with pytest.raises(ValidationError):
        do_record_sas_result(room, matched=matched, acting_user=getattr(personas, who))

    room.refresh_from_db()
    assert (room.sas, room.status) == (Room.Sas.PENDING, Room.Status.OPEN)
