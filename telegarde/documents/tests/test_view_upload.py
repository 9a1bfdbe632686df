"""The upload form, through the real request parsing (the capped upload handler)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.documents.models import Document
from telegarde.documents.uploads import CappedMemoryUploadHandler

from .corpus import jpeg


def post(client: Any, patient: Any, name: str, data: bytes) -> Any:
    url = reverse("documents:upload", args=[patient.external_id])
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)


def test_it_accepts_and_says_it_is_being_checked(personas: Personas, login: Any) -> None:
    response = post(login(personas.patient), personas.patient, "photo.jpg", jpeg())
    assert "est reçu et en cours de vérification" in response.content.decode()
    document = Document.objects.get()
    assert document.status == "pending" and document.patient == personas.patient


def test_the_cap_stops_a_file_while_it_streams_in(
    personas: Personas, login: Any, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 10_000
    response = post(login(personas.patient), personas.patient, "scan.pdf", b"%PDF-" + b"0" * 50_000)
    assert "est refusé : fichier trop volumineux" in response.content.decode()
    document = Document.objects.get()
    assert (document.status, document.verdict, document.original_key) == (
        "rejected",
        "too_large",
        "",
    )
    assert last_event("document.upload.rejected").data["verdict"] == "too_large"
    assert [
        f"{CappedMemoryUploadHandler.__module__}.{CappedMemoryUploadHandler.__name__}"
    ] == settings.FILE_UPLOAD_HANDLERS


def test_a_practitioner_uploads_into_a_patients_record(personas: Personas, login: Any) -> None:
    response = post(login(personas.practitioner), personas.patient, "ordonnance.txt", b"RAS\n")
    assert response.status_code == 200
    assert Document.objects.get().uploaded_by == personas.practitioner


def test_strangers_cannot_upload(personas: Personas, login: Any) -> None:
    for who in (personas.other_patient, personas.outsider, personas.other_practitioner):
        url = reverse("documents:upload", args=[personas.patient.external_id])
        response = login(who).post(url, {"file": SimpleUploadedFile("x.txt", b"x")})
        assert response.status_code == 404
    assert not Document.objects.exists()
