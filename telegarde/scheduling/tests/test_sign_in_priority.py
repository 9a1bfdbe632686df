"""A patient with an appointment today is served first at the edge from sign-in on."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.test import Client
from django.utils import timezone

from telegarde.conftest import PASSWORD, Personas
from telegarde.core.claims import COOKIE_NAME, HIGH, NORMAL, read_claim
from telegarde.scheduling.models import Appointment


def _signed_in_level(client: Client) -> str:
    response = client.post(
        "/comptes/connexion/", {"username": "patiente@test.fr", "password": PASSWORD}
    )
    assert response.status_code == 302
    claim = read_claim(response.cookies[COOKIE_NAME].value)
    assert claim is not None
    return claim.level


def _appointment(personas: Personas, starts_at: datetime) -> None:
    Appointment.objects.create(
        organisation=personas.organisation,
        practitioner=personas.practitioner,
        patient=personas.patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        kind="video",
    )


def test_a_patient_with_an_appointment_today_signs_in_with_high_priority(
    personas: Personas, client: Client
) -> None:
    _appointment(personas, timezone.now())

    assert _signed_in_level(client) == HIGH


def test_a_patient_whose_appointment_is_another_day_signs_in_at_normal_priority(
    personas: Personas, client: Client
) -> None:
    _appointment(personas, timezone.now() + timedelta(days=3))

    assert _signed_in_level(client) == NORMAL
