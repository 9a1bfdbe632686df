"""The home page shows each person the sections of the roles they hold, and no more."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from telegarde.conftest import Personas


def test_the_landing_page_is_french_by_default(db: None, client: Client) -> None:
    response = client.get("/")
    text = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in text and "Téléconsultation sécurisée" in text


def test_the_landing_page_is_available_in_english(db: None, client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in response.content.decode()
    assert "Secure teleconsultation" in response.content.decode()


def test_a_patient_sees_their_identity_and_login_history_but_no_patient_list(
    personas: Personas, login: Any
) -> None:
    client = login(personas.patient)
    client.post("/comptes/deconnexion/")
    client.post("/comptes/connexion/", {"username": "patiente@test.fr", "password": "wrong"})
    text = login(personas.patient).get("/accueil/").content.decode()
    assert "Mon identité de santé" in text and "PATIENTE" in text
    assert "Patients de mes organisations" not in text
    assert "Journal de sécurité" not in text
    assert "Déconnexion" in text and "Échec de connexion" in text


def test_a_practitioner_sees_the_patients_of_their_organisation_only(
    personas: Personas, login: Any
) -> None:
    text = login(personas.practitioner).get("/accueil/").content.decode()
    assert "Patients de mes organisations" in text
    assert str(personas.patient.external_id) in text
    assert str(personas.other_patient.external_id) not in text
    assert "Mon identité de santé" not in text


def test_a_security_officer_gets_a_link_to_their_organisation_journal(
    personas: Personas, login: Any
) -> None:
    text = login(personas.security_officer).get("/accueil/").content.decode()
    assert f"/securite/{personas.organisation.external_id}/journal/" in text
    assert str(personas.other_organisation.external_id) not in text


def test_the_home_page_costs_a_bounded_number_of_queries(personas: Personas, login: Any) -> None:
    client = login(personas.practitioner)
    client.get("/accueil/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accueil/").status_code == 200
    assert len(queries) <= 10
