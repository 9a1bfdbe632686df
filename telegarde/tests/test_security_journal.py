from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from telegarde.conftest import Personas


def url(personas: Personas) -> str:
    return f"/securite/{personas.organisation.external_id}/journal/"


def test_the_security_officer_reads_the_organisation_events(personas: Personas, login: Any) -> None:
    login(personas.practitioner).get(f"/comptes/patients/{personas.patient.external_id}/")
    response = login(personas.security_officer).get(url(personas))
    text = response.content.decode()
    assert response.status_code == 200
    assert "patient.record.viewed" in text
    assert "account.role.granted" in text


def test_events_of_another_organisation_do_not_show(personas: Personas, login: Any) -> None:
    text = login(personas.security_officer).get(url(personas)).content.decode()
    assert "autre.praticien@test.fr" not in text


@pytest.mark.parametrize("who", ["patient", "practitioner", "staff", "outsider", "other_patient"])
def test_others_get_a_404(personas: Personas, login: Any, who: str) -> None:
    assert login(getattr(personas, who)).get(url(personas)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(personas: Personas, client: Client) -> None:
    assert client.get(url(personas)).status_code == 302


def test_what_a_member_does_in_another_organisation_stays_there(
    personas: Personas, login: Any
) -> None:
    from telegarde.accounts.actions import do_create_organisation

    client = login(personas.security_officer)
    before = client.get(url(personas)).content.decode().count("Organisation créée")
    do_create_organisation("Ailleurs", "msp", acting_user=personas.practitioner)
    after = client.get(url(personas)).content.decode().count("Organisation créée")
    assert before == after == 1
