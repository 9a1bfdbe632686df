"""The record of a consultation: when, who, the chat, and the practitioner's notes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import (
    do_end_consultation,
    do_post_chat_message,
    do_save_note,
)
from telegarde.consultation.models import Room
from telegarde.core.models import SecurityEvent

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401


@pytest.fixture
def ended(personas: Personas, room: Room) -> Room:
    do_post_chat_message(room, participant(room, personas.patient), "J'ai de la fièvre")
    do_save_note(room, "Grippe probable", acting_user=personas.practitioner)
    return do_end_consultation(room, acting_user=personas.practitioner)


def url(room: Room) -> str:
    return reverse("consultation:record", args=[room.external_id])


def test_it_shows_the_patient_the_chat_but_not_the_notes(
    personas: Personas, login: Any, ended: Room
) -> None:
    response = login(personas.patient).get(url(ended))

    assert response.status_code == 200
    page = response.content.decode()
    assert "J&#x27;ai de la fièvre" in page
    assert "Grippe probable" not in page
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()


def test_it_shows_the_practitioner_the_notes_and_records_the_read(
    personas: Personas, login: Any, ended: Room
) -> None:
    response = login(personas.practitioner).get(url(ended))

    assert response.status_code == 200
    assert "Grippe probable" in response.content.decode()
    event = last_event("patient.record.viewed")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(personas.patient.external_id)
    assert event.data["reason"] == "appointment"


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "staff", "security_officer", "outsider"]
)
def test_it_refuses_anyone_else(personas: Personas, login: Any, ended: Room, who: str) -> None:
    response = login(getattr(personas, who)).get(url(ended))

    assert response.status_code == 404
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, ended: Room) -> None:
    assert client.get(url(ended)).status_code == 302
