"""The organisation's rule pages: listed for its security officer, changed only after a
fresh second factor; other organisations and other roles get the same 404."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.login_flow import STEPPED_UP_KEY
from telegarde.conftest import Personas, last_event
from telegarde.security.detection.models import RuleSetting

pytestmark = pytest.mark.django_db


def stepped_up(client: Client) -> Client:
    session = client.session
    session[STEPPED_UP_KEY] = time.time()  # as after proving the second factor again
    session.save()
    return client


def tune_url(personas: Personas, rule: str = "password_spraying") -> str:
    return reverse("detection:rule_tune", args=[personas.organisation.external_id, rule])


def test_it_lists_the_rules_as_the_organisation_has_them(personas: Personas, login: Any) -> None:
    RuleSetting.objects.create(
        organisation=personas.organisation, rule_id="scanning", enabled=False
    )
    client = login(personas.security_officer)
    page = client.get(reverse("detection:rule_list", args=[personas.organisation.external_id]))
    body = page.content.decode()
    assert page.status_code == 200 and "Password spraying from one source" in body
    assert 'data-rule="scanning" class="disabled"' in body
    assert tune_url(personas) in body
    alerts = client.get(reverse("detection:alert_list", args=[personas.organisation.external_id]))
    assert reverse("detection:rule_list", args=[personas.organisation.external_id]) in (
        alerts.content.decode()
    )


def test_a_change_needs_a_fresh_second_factor(personas: Personas, login: Any) -> None:
    client = login(personas.security_officer)
    answer = client.post(tune_url(personas), {"enabled": "on", "threshold": "25"})
    assert answer.status_code == 302 and reverse("accounts:step_up") in answer["Location"]
    assert not RuleSetting.objects.exists()


def test_it_tunes_the_rule_and_records_it(personas: Personas, login: Any) -> None:
    client = stepped_up(login(personas.security_officer))
    assert "Par défaut : 10" in client.get(tune_url(personas)).content.decode()
    answer = client.post(
        tune_url(personas),
        {"enabled": "on", "threshold": "25", "window": "30m", "severity": "critical"},
    )
    assert answer.status_code == 302
    setting = RuleSetting.objects.get(organisation=personas.organisation)
    assert (setting.rule_id, setting.threshold, setting.window_s, setting.severity) == (
        "password_spraying",
        25,
        1800,
        "critical",
    )
    assert setting.enabled and setting.updated_by == personas.security_officer
    assert last_event("detection.rule.tuned").data["after"]["threshold"] == 25
    listing = client.get(answer["Location"]).content.decode()
    assert "Critique" in listing and "30m" in listing


def test_it_names_the_field_in_error(personas: Personas, login: Any) -> None:
    client = stepped_up(login(personas.security_officer))
    page = client.post(tune_url(personas), {"enabled": "on", "threshold": "0", "window": "3w"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Seuil :" in body and "Fenêtre : Une durée comme 90s, 10m ou 2h." in body
    assert not RuleSetting.objects.exists()


def test_a_rule_without_correlation_has_no_threshold(personas: Personas, login: Any) -> None:
    client = stepped_up(login(personas.security_officer))
    body = client.get(tune_url(personas, "sas_mismatch")).content.decode()
    assert 'name="severity"' in body and 'name="threshold"' not in body


@pytest.mark.parametrize("who", ["outsider", "practitioner", "patient"])
def test_others_get_the_same_404(personas: Personas, login: Any, who: str) -> None:
    client = stepped_up(login(getattr(personas, who)))
    org = personas.organisation.external_id
    assert client.get(reverse("detection:rule_list", args=[org])).status_code == 404
    assert client.post(tune_url(personas), {"enabled": ""}).status_code == 404
    assert client.get(tune_url(personas, "no_such_rule")).status_code == 404
    assert not RuleSetting.objects.exists()
