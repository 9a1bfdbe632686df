"""The enter page: from an appointment to its room."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas
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
