"""The enter page: from an appointment to its room."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_open_room
from telegarde.consultation.models import Room
from telegarde.scheduling.models import Appointment

from .fixtures import appointment_fixture  # noqa: F401


def url(appointment: Appointment) -> str:
    return reverse("consultation:enter", args=[appointment.external_id])


@pytest.mark.parametrize("who", ["patient", "practitioner"])
def test_it_shows_the_page_to_the_patient_and_the_practitioner(
    personas: Personas, login: Any, appointment: Appointment, who: str
) -> None:
    response = login(getattr(personas, who)).get(url(appointment))

    assert response.status_code == 200
    assert not Room.objects.exists()


def test_it_opens_the_room_and_goes_there(
    personas: Personas, login: Any, appointment: Appointment
) -> None:
    response = login(personas.patient).post(url(appointment))

    room = Room.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response["Location"] == reverse("consultation:room", args=[room.external_id])


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "staff", "outsider"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_anyone_else(
    personas: Personas, login: Any, appointment: Appointment, who: str, method: str
) -> None:
    response = getattr(login(getattr(personas, who)), method)(url(appointment))

    assert response.status_code == 404
    assert not Room.objects.exists()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, appointment: Appointment) -> None:
    response = client.post(url(appointment))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert not Room.objects.exists()


def test_it_refuses_a_cancelled_appointment(
    personas: Personas, login: Any, appointment: Appointment
) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")

    assert login(personas.patient).post(url(appointment)).status_code == 404


def _move_to_tomorrow(appointment: Appointment) -> None:
    appointment.starts_at += timedelta(days=1)
    appointment.ends_at += timedelta(days=1)
    appointment.save(update_fields=["starts_at", "ends_at"])


def test_it_tells_an_early_patient_when_the_waiting_room_opens(
    personas: Personas, login: Any, appointment: Appointment
) -> None:
    _move_to_tomorrow(appointment)
    client = login(personas.patient)

    page = client.get(url(appointment))
    assert b'id="too-early"' in page.content
    assert b"Entrer en salle d" not in page.content

    refused = client.post(url(appointment))
    assert refused.status_code == 409
    assert b'id="too-early"' in refused.content
    assert last_event("consultation.room.too_early").outcome == "failure"


def test_it_lets_the_practitioner_open_the_room_early(
    personas: Personas, login: Any, appointment: Appointment
) -> None:
    _move_to_tomorrow(appointment)

    assert login(personas.practitioner).post(url(appointment)).status_code == 302


def test_an_early_patient_with_the_room_link_sees_the_opening_time(
    personas: Personas, login: Any, appointment: Appointment
) -> None:
    _move_to_tomorrow(appointment)
    room = do_open_room(appointment)

    page = login(personas.patient).get(reverse("consultation:room", args=[room.external_id]))
    assert page.status_code == 200
    assert b'id="too-early"' in page.content
    assert b'id="room-config"' not in page.content
