"""Downloads: attachment, nosniff, sandboxing CSP; audited; refused to strangers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent

from .corpus import EICAR, jpeg


def url(document: Any) -> str:
    return reverse("documents:download", args=[document.external_id])


def test_it_serves_a_clean_document_as_a_sandboxed_attachment(
    personas: Personas, scanned: Any, login: Any
) -> None:
    document = scanned("résultat <b>.txt", b"Glycemie 0,95 g/L\n")
    response = login(personas.patient).get(url(document))
    assert response.status_code == 200
    assert response.content == b"Glycemie 0,95 g/L\n"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''r%C3%A9sultat%20%3Cb%3E.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Type"].startswith("text/plain")
    assert last_event("document.downloaded").actor_id == str(personas.patient.external_id)
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()


def test_a_practitioners_download_is_a_read_of_the_record(
    personas: Personas, scanned: Any, login: Any
) -> None:
    document = scanned("photo.jpg", jpeg())
    assert login(personas.practitioner).get(url(document)).status_code == 200
    assert last_event("document.downloaded").actor_id == str(personas.practitioner.external_id)
    viewed = last_event("patient.record.viewed")
    assert viewed.target_id == str(personas.patient.external_id)
    assert viewed.data == {"reason": "care_organisation", "record": "documents"}


@pytest.mark.parametrize("who", ["other_patient", "outsider", "other_practitioner"])
def test_strangers_cannot_download(personas: Personas, scanned: Any, login: Any, who: str) -> None:
    document = scanned("photo.jpg", jpeg())
    assert login(getattr(personas, who)).get(url(document)).status_code == 404
    assert not SecurityEvent.objects.filter(action="document.downloaded").exists()


def test_anonymous_visitors_cannot_download(scanned: Any, client: Client) -> None:
    document = scanned("photo.jpg", jpeg())
    response = client.get(url(document))
    assert response.status_code == 302 and "/comptes/" in response["Location"]


def test_nothing_but_clean_is_served(
    personas: Personas, scanned: Any, upload: Any, login: Any
) -> None:
    quarantined = scanned("photo.jpg", jpeg(comment=EICAR))
    pending = upload("notes.txt", b"RAS\n")
    client = login(personas.patient)
    assert client.get(url(pending)).status_code == 404
    assert client.get(url(quarantined)).status_code == 404
