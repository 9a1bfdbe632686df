"""Saving the practitioner's notes from the room page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import MAX_NOTE_CHARS
from telegarde.consultation.models import ConsultationNote, Room
from telegarde.core.vault import open_text

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def url(room: Room) -> str:
    return reverse("consultation:save_note", args=[room.external_id])


def test_it_saves_the_practitioners_note(personas: Personas, login: Any, room: Room) -> None:
    response = login(personas.practitioner).post(url(room), {"text": "Otite droite."})

    assert response.status_code == 200
    assert "saved" in response.json()
    note = ConsultationNote.objects.get(room=room)
    assert open_text(f"note:{note.external_id}", note.sealed_body) == "Otite droite."
    assert last_event("consultation.note.saved").actor_id == str(personas.practitioner.external_id)


def test_it_shows_the_note_back_on_the_room_page(
    personas: Personas, login: Any, room: Room
) -> None:
    browser = login(personas.practitioner)
    browser.post(url(room), {"text": "Revoir dans 8 jours."})

    page = browser.get(reverse("consultation:room", args=[room.external_id]))

    assert "Revoir dans 8 jours." in page.content.decode()


def test_it_refuses_the_patient(personas: Personas, login: Any, room: Room) -> None:
    response = login(personas.patient).post(url(room), {"text": "ma version"})

    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not ConsultationNote.objects.exists()


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_it_refuses_anyone_else(personas: Personas, login: Any, room: Room, who: str) -> None:
    assert login(getattr(personas, who)).post(url(room), {"text": "x"}).status_code == 404
    assert not ConsultationNote.objects.exists()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, room: Room) -> None:
    response = client.post(url(room), {"text": "x"})

    assert response.status_code == 302
    assert not ConsultationNote.objects.exists()


def test_it_refuses_a_note_too_long_naming_the_field(
    personas: Personas, login: Any, room: Room
) -> None:
    response = login(personas.practitioner).post(url(room), {"text": "x" * (MAX_NOTE_CHARS + 1)})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["text"]


def test_it_accepts_only_post(personas: Personas, login: Any, room: Room) -> None:
    assert login(personas.practitioner).get(url(room)).status_code == 405
