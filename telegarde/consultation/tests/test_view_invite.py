"""Inviting a third person from the room page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from telegarde.conftest import Personas
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import OutboundMessage

from .fixtures import appointment_fixture, room_fixture  # noqa: F401

GUEST = {"display_name": "Ina Terprète", "email": "ina@example.org", "relation": "interpreter"}


def url(room: Room) -> str:
    return reverse("consultation:invite", args=[room.external_id])


def test_it_mails_the_guest_a_one_time_code_and_a_verification_code(
    personas: Personas, login: Any, room: Room, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.practitioner).post(url(room), GUEST)

    assert response.status_code == 200
    guest = Participant.objects.get(external_id=response.json()["invited"])
    assert (guest.role, guest.guest_email) == ("guest", "ina@example.org")
    [message] = mail.outbox
    assert message.to == ["ina@example.org"]
    body = str(message.body)
    assert re.search(r"code à usage unique : \d{8}\b", body)
    sent = OutboundMessage.objects.get(recipient_id=str(guest.external_id))
    assert f"Code de vérification de ce message : {sent.code}" in body
    assert reverse("consultation:guest", args=[room.external_id, guest.external_id]) in body


def test_it_refuses_the_patient(personas: Personas, login: Any, room: Room) -> None:
    response = login(personas.patient).post(url(room), GUEST)

    assert response.status_code == 400
    assert not room.participants.filter(role="guest").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_it_refuses_anyone_else(personas: Personas, login: Any, room: Room, who: str) -> None:
    assert login(getattr(personas, who)).post(url(room), GUEST).status_code == 404
    assert not room.participants.filter(role="guest").exists()


@pytest.mark.parametrize(
    ("field", "value"), [("email", "pas-une-adresse"), ("relation", "boss"), ("display_name", "")]
)
def test_it_names_the_field_of_a_bad_invitation(
    personas: Personas, login: Any, room: Room, field: str, value: str
) -> None:
    response = login(personas.practitioner).post(url(room), {**GUEST, field: value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
