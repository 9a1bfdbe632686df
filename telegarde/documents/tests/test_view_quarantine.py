"""The quarantine pages: the organisation's security officer only; release needs a
reason and a recent step-up; release and deletion are recorded."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.login_flow import STEPPED_UP_KEY
from telegarde.conftest import Personas, last_event
from telegarde.documents.actions import open_document
from telegarde.documents.models import Document

from .corpus import EICAR, jpeg


@pytest.fixture
def quarantined(scanned: Any) -> Document:
    document: Document = scanned("radio.jpg", jpeg(comment=EICAR))
    assert document.status == Document.Status.QUARANTINED
    return document


def stepped_up(client: Client) -> Client:
    session = client.session
    session[STEPPED_UP_KEY] = time.time()
    session.save()
    return client


def test_the_officer_sees_verdict_rules_hashes_and_uploader(
    personas: Personas, quarantined: Document, login: Any
) -> None:
    client = login(personas.security_officer)
    listing = client.get(reverse("documents:quarantine", args=[personas.organisation.external_id]))
    assert "radio.jpg" in listing.content.decode()
    page = client.get(reverse("documents:quarantine_detail", args=[quarantined.external_id]))
    text = page.content.decode()
    for expected in ("EICAR_Test_File", "yara", quarantined.original_sha256, "patiente@test.fr"):
        assert expected in text
    assert "Logiciel malveillant détecté" in text


@pytest.mark.parametrize("who", ["patient", "practitioner", "outsider", "other_patient"])
def test_others_cannot_see_the_quarantine(
    personas: Personas, quarantined: Document, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    org_url = reverse("documents:quarantine", args=[personas.organisation.external_id])
    detail_url = reverse("documents:quarantine_detail", args=[quarantined.external_id])
    assert client.get(org_url).status_code == 404
    assert client.get(detail_url).status_code == 404


def test_anonymous_visitors_cannot_see_the_quarantine(
    personas: Personas, quarantined: Document, client: Client
) -> None:
    detail_url = reverse("documents:quarantine_detail", args=[quarantined.external_id])
    assert client.get(detail_url).status_code == 302


def test_release_asks_for_a_step_up_then_a_reason(
    personas: Personas, quarantined: Document, login: Any
) -> None:
    client = login(personas.security_officer)
    url = reverse("documents:release", args=[quarantined.external_id])
    response = client.post(url, {"reason": "Faux positif confirmé par téléphone."})
    assert response["Location"].startswith(reverse("accounts:step_up"))
    stepped_up(client)
    assert "reason" in client.post(url, {"reason": "ok"}).context["form"].errors
    quarantined.refresh_from_db()
    assert quarantined.status == Document.Status.QUARANTINED
    client.post(url, {"reason": "Faux positif confirmé par téléphone."})
    quarantined.refresh_from_db()
    assert quarantined.status == Document.Status.CLEAN
    assert quarantined.released_by == personas.security_officer
    assert open_document(quarantined)[:3] == b"\xff\xd8\xff"
    event = last_event("document.released")
    assert event.data == {"verdict": "malware", "reason": "Faux positif confirmé par téléphone."}


def test_delete_removes_the_files_and_is_recorded(
    personas: Personas,
    quarantined: Document,
    login: Any,
    documents_dir: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = stepped_up(login(personas.security_officer))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:delete", args=[quarantined.external_id]))
    quarantined.refresh_from_db()
    assert quarantined.status == Document.Status.DELETED
    assert not any(documents_dir.rglob("*.original"))
    assert last_event("document.deleted").data["previous_status"] == "quarantined"


def test_an_outsider_cannot_release_or_delete(
    personas: Personas, quarantined: Document, login: Any
) -> None:
    client = stepped_up(login(personas.outsider))
    reason = {"reason": "Faux positif confirmé par téléphone."}
    assert (
        client.post(
            reverse("documents:release", args=[quarantined.external_id]), reason
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("documents:delete", args=[quarantined.external_id])).status_code == 404
    )
    quarantined.refresh_from_db()
    assert quarantined.status == Document.Status.QUARANTINED
