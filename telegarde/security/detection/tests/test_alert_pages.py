"""Alert pages: organisation-scoped; everyone else gets the same 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, sign_in

pytestmark = pytest.mark.django_db


def test_it_lists_filters_and_charts_the_organisation_alerts(
    personas: Personas, login: Any, raise_alert: Any
) -> None:
    org = personas.organisation
    raise_alert("sas_mismatch", **{"organization.id": str(org.external_id)})
    client = login(personas.security_officer)
    url = reverse("detection:alert_list", args=[org.external_id])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Short authentication strings differ" in body and "<svg" in body
    assert "<script" not in body and "style=" not in body
    assert "Short authentication" not in client.get(url, {"severity": "low"}).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert url in home


def test_it_shows_the_alert_with_its_events_and_takes_actions(
    personas: Personas, login: Any, raise_alert: Any
) -> None:
    alert = raise_alert(
        "sas_mismatch", **{"organization.id": str(personas.organisation.external_id)}
    )
    client = login(personas.security_officer)
    page = client.get(reverse("detection:alert_detail", args=[alert.external_id]))
    assert page.status_code == 200 and "room-1" in page.content.decode()
    client.post(
        reverse("detection:alert_status", args=[alert.external_id]), {"status": "acknowledged"}
    )
    client.post(
        reverse("detection:alert_comment", args=[alert.external_id]), {"body": "Je regarde."}
    )
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.comments.count() == 1


@pytest.mark.parametrize("who", ["outsider", "practitioner", "patient", "anonymous"])
def test_it_refuses_everyone_else_with_the_same_answer(
    personas: Personas, client: Client, raise_alert: Any, who: str
) -> None:
    org = personas.organisation
    alert = raise_alert("sas_mismatch", **{"organization.id": str(org.external_id)})
    if who != "anonymous":
        sign_in(client, getattr(personas, who))
    urls = [
        ("get", reverse("detection:alert_list", args=[org.external_id])),
        ("get", reverse("detection:alert_detail", args=[alert.external_id])),
        ("post", reverse("detection:alert_status", args=[alert.external_id])),
        ("post", reverse("detection:alert_comment", args=[alert.external_id])),
        ("post", reverse("detection:test_notification", args=[org.external_id])),
        ("get", reverse("detection:platform_alerts")),
    ]
    for method, url in urls:
        answer = getattr(client, method)(url, {"status": "resolved", "body": "x"})
        if who == "anonymous":
            assert answer.status_code == 302 and "connexion" in answer["Location"], url
        else:
            assert answer.status_code == 404, url
    alert.refresh_from_db()
    assert alert.status == "new" and alert.comments.count() == 0
    missing = reverse("detection:alert_detail", args=["00000000-0000-4000-8000-000000000000"])
    if who != "anonymous":
        assert client.get(missing).status_code == 404
