"""A patient's identity page: the care team reads it (audited); nobody else can."""

from __future__ import annotations

from typing import Any

import pytest

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent


def url(personas: Personas) -> str:
    return f"/comptes/patients/{personas.patient.external_id}/"


def test_a_practitioner_of_the_organisation_reads_it_and_the_read_is_recorded(
    personas: Personas, login: Any
) -> None:
    response = login(personas.practitioner).get(url(personas), REMOTE_ADDR="192.0.2.33")
    assert response.status_code == 200
    assert "PATIENTE" in response.content.decode()
    event = last_event("patient.record.viewed")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(personas.patient.external_id)
    assert event.data == {"reason": "organisation_care_team"}
    assert event.source_ip == "192.0.2.33"


def test_staff_of_the_organisation_reads_it_too(personas: Personas, login: Any) -> None:
    assert login(personas.staff).get(url(personas)).status_code == 200


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "outsider", "security_officer"]
)
def test_everyone_else_gets_the_same_404_and_nothing_is_recorded(
    personas: Personas, login: Any, who: str
) -> None:
    response = login(getattr(personas, who)).get(url(personas))
    assert response.status_code == 404
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()


def test_a_missing_patient_gets_the_same_404(personas: Personas, login: Any) -> None:
    response = login(personas.practitioner).get(
        f"/comptes/patients/{personas.organisation.external_id}/"
    )
    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(personas: Personas, client: Any) -> None:
    response = client.get(url(personas))
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/connexion/")


def test_the_patient_reads_their_own_without_an_access_event(
    personas: Personas, login: Any
) -> None:
    assert login(personas.patient).get(url(personas)).status_code == 200
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()
