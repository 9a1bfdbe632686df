"""The ICE servers of a reconnecting browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas
from telegarde.consultation.models import Room

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def url(room: Room) -> str:
    return reverse("consultation:ice", args=[room.external_id])


@pytest.mark.parametrize("who", ["patient", "practitioner"])
def test_it_gives_the_ice_configuration(
    personas: Personas, login: Any, room: Room, who: str
) -> None:
    response = login(getattr(personas, who)).get(url(room))

    assert response.status_code == 200
    assert "iceServers" in response.json()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_it_refuses_anyone_else(personas: Personas, login: Any, room: Room, who: str) -> None:
    assert login(getattr(personas, who)).get(url(room)).status_code == 404


def test_it_refuses_an_anonymous_visitor(client: Client, room: Room) -> None:
    assert client.get(url(room)).status_code == 404
