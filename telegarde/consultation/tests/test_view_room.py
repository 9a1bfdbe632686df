"""The room page: the waiting room, then the call."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas
from telegarde.consultation.actions import do_end_consultation
from telegarde.consultation.models import Room
from telegarde.consultation.sas import words

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401


def url(room: Room) -> str:
    return reverse("consultation:room", args=[room.external_id])


def page_config(content: bytes) -> dict[str, Any]:
    html = content.decode()
    start = html.index('id="room-config"')
    start = html.index(">", start) + 1
    config: dict[str, Any] = json.loads(html[start : html.index("</script>", start)])
    return config


def test_it_opens_the_room_to_the_patient(personas: Personas, login: Any, room: Room) -> None:
    response = login(personas.patient).get(url(room))

    assert response.status_code == 200
    config = page_config(response.content)
    assert config["room"] == str(room.external_id)
    assert config["me"] == str(participant(room, personas.patient).external_id)
    assert config["role"] == "patient"
    assert config["socket"] == f"/ws/consultation/{room.external_id}/"
    assert config["words"] == list(words())
    assert b'id="note-form"' not in response.content
    assert "no-store" in response["Cache-Control"]


def test_it_gives_the_practitioner_their_tools(personas: Personas, login: Any, room: Room) -> None:
    response = login(personas.practitioner).get(url(room))

    assert response.status_code == 200
    assert page_config(response.content)["role"] == "practitioner"
    assert b'id="note-form"' in response.content
    assert b'id="invite-form"' in response.content


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "staff", "security_officer", "outsider"]
)
def test_it_refuses_anyone_else(personas: Personas, login: Any, room: Room, who: str) -> None:
    assert login(getattr(personas, who)).get(url(room)).status_code == 404


def test_it_refuses_an_anonymous_visitor_with_the_link(client: Client, room: Room) -> None:
    assert client.get(url(room)).status_code == 404


def test_it_refuses_an_unknown_room(personas: Personas, login: Any, room: Room) -> None:
    unknown = reverse("consultation:room", args=["00000000-0000-0000-0000-000000000000"])

    assert login(personas.patient).get(unknown).status_code == 404


def test_it_sends_to_the_record_once_ended(personas: Personas, login: Any, room: Room) -> None:
    do_end_consultation(room, acting_user=personas.practitioner)

    response = login(personas.patient).get(url(room))

    assert response.status_code == 302
    assert response["Location"] == reverse("consultation:record", args=[room.external_id])


def test_a_video_room_starts_with_the_camera_and_an_audio_appointment_without(
    personas: Personas, login: Any, room: Room
) -> None:
    client = login(personas.patient)
    assert page_config(client.get(url(room)).content)["audioOnly"] is False
    Room.objects.filter(pk=room.pk).update(mode=Room.Mode.VIDEO)
    room.appointment.kind = "audio"
    room.appointment.save(update_fields=["kind"])
    assert page_config(client.get(url(room)).content)["audioOnly"] is True
