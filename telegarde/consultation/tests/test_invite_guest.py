"""do_invite_guest: the practitioner invites a third person, who gets a one-time code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_end_consultation, do_invite_guest
from telegarde.consultation.models import Participant, Room

from .fixtures import appointment_fixture, invite_guest, room_fixture  # noqa: F401


def test_it_invites_a_guest_by_mail_with_a_one_time_code(
    personas: Personas, room: Room, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        guest = do_invite_guest(
            room,
            email="interprete@example.org",
            display_name=" Ina Terprète ",
            relation="interpreter",
            acting_user=personas.practitioner,
        )

    assert guest.role == Participant.Role.GUEST
    assert guest.state == Participant.State.INVITED
    assert guest.display_name == "Ina Terprète"
    assert guest.code_expires is not None
    assert guest.code_expires > room.appointment.ends_at
    [message] = mail.outbox
    assert message.to == ["interprete@example.org"]
    code = re.search(r"code à usage unique : (\d{8})", str(message.body))
    assert code is not None
    assert code.group(1) not in guest.code_hash
    assert f"/consultation/{room.external_id}/invite/{guest.external_id}/" in message.body
    event = last_event("consultation.guest.invited")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"participant": str(guest.external_id), "relation": "interpreter"}


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "outsider"])
def test_it_lets_only_the_practitioner_invite(personas: Personas, room: Room, who: str) -> None:
    with pytest.raises(ValidationError):
        invite_guest(room, getattr(personas, who))

    assert not room.participants.filter(role=Participant.Role.GUEST).exists()
    assert mail.outbox == []


def test_it_invites_nobody_into_an_ended_consultation(personas: Personas, room: Room) -> None:
    do_end_consultation(room, acting_user=personas.practitioner)

    with pytest.raises(ValidationError):
        invite_guest(room, personas.practitioner)
