"""do_use_fallback: audio only, then the telephone (the practitioner's call)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_use_fallback
from telegarde.consultation.models import Room

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def test_it_falls_back_to_audio(personas: Personas, room: Room) -> None:
    result = do_use_fallback(room, "audio", actor=personas.patient, reason="timeout")

    assert result.mode == Room.Mode.AUDIO
    event = last_event("consultation.fallback.used")
    assert event.outcome == "failure"
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data == {"step": "audio", "reason": "timeout"}


def test_it_lets_the_practitioner_continue_by_phone(personas: Personas, room: Room) -> None:
    result = do_use_fallback(room, "phone", actor=personas.practitioner, reason="choice")

    assert Room.objects.get(pk=result.pk).mode == Room.Mode.PHONE
    assert last_event("consultation.fallback.used").outcome == "success"


@pytest.mark.parametrize("who", ["patient", "other_practitioner", None])
def test_it_lets_only_the_practitioner_choose_the_phone(
    personas: Personas, room: Room, who: str | None
) -> None:
    with pytest.raises(ValidationError):
        do_use_fallback(room, "phone", actor=getattr(personas, who) if who else None, reason="x")

    assert Room.objects.get(pk=room.pk).mode == Room.Mode.VIDEO


def test_it_refuses_an_unknown_step(personas: Personas, room: Room) -> None:
    with pytest.raises(ValidationError) as refused:
        do_use_fallback(room, "carrier-pigeon", actor=personas.practitioner, reason="choice")

    assert "step" in refused.value.message_dict
