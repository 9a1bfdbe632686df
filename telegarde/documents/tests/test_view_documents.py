"""The documents pages: the patient's own, a professional's view of a patient's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent

from .corpus import EICAR, jpeg


def test_the_patient_sees_status_in_plain_words(
    personas: Personas, scanned: Any, upload: Any, login: Any
) -> None:
    scanned("photo.jpg", jpeg(comment=EICAR))
    scanned("ok.jpg", jpeg())
    upload("analyse.txt", b"RAS\n")
    page = login(personas.patient).get(reverse("documents:index")).content.decode()
    assert "En cours de vérification" in page
    assert "Bloqué : fichier suspect, transmis au responsable de la sécurité" in page
    assert "Disponible" in page
    assert page.count("/telecharger/") == 1
    assert 'enctype="multipart/form-data"' in page
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()


def test_a_practitioner_reading_a_patients_documents_is_audited(
    personas: Personas, scanned: Any, login: Any
) -> None:
    scanned("ok.jpg", jpeg())
    url = reverse("documents:patient", args=[personas.patient.external_id])
    page = login(personas.practitioner).get(url)
    assert page.status_code == 200 and "ok.jpg" in page.content.decode()
    event = last_event("patient.record.viewed")
    assert event.target_id == str(personas.patient.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)


@pytest.mark.parametrize("who", ["other_patient", "outsider", "other_practitioner"])
def test_strangers_cannot_list_a_patients_documents(
    personas: Personas, scanned: Any, login: Any, who: str
) -> None:
    scanned("ok.jpg", jpeg())
    url = reverse("documents:patient", args=[personas.patient.external_id])
    client = login(getattr(personas, who))
    assert client.get(url).status_code == 404
    own = client.get(reverse("documents:index")).content.decode()
    assert "ok.jpg" not in own


def test_anonymous_visitors_are_sent_to_sign_in(personas: Personas, client: Client) -> None:
    url = reverse("documents:patient", args=[personas.patient.external_id])
    assert client.get(url).status_code == 302
    assert client.get(reverse("documents:index")).status_code == 302
