"""do_upload_document: accepted uploads are stored encrypted and pending; bad input is
refused with its reason, nothing stored, and an event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from telegarde.conftest import Personas, last_event
from telegarde.documents.actions import do_upload_document
from telegarde.documents.models import Document

from .corpus import jpeg

Status = Document.Status


def test_it_stores_the_upload_encrypted_and_pending(
    personas: Personas, upload: Any, documents_dir: Path
) -> None:
    data = b"Compte rendu : tension 12/8, examen normal.\n" * 20
    document = upload("compte-rendu.txt", data)
    assert document.status == Status.PENDING
    assert document.original_size == len(data) and len(document.original_sha256) == 64
    stored = (documents_dir / document.original_key).read_bytes()
    assert b"tension" not in stored and stored.startswith(b"TGD1")
    event = last_event("document.upload.received")
    assert event.target_id == str(document.external_id)
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data["sha256"] == document.original_sha256


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("facture\u202efdp.exe", "control"),
        ("photo\x07.jpg", "control"),
        ("rapport\u200b.pdf", "control"),
        ("..\\..\\windows\\system.ini", "path"),
        ("   ", "empty"),
    ],
)
def test_it_refuses_bad_names(upload: Any, documents_dir: Path, name: str, reason: str) -> None:
    document = upload(name, jpeg())
    assert document.status == Status.REJECTED and document.verdict == "bad_name"
    assert "\u202e" not in document.name
    assert not documents_dir.exists() or not any(documents_dir.rglob("*"))
    event = last_event("document.upload.rejected")
    assert event.outcome == "failure"
    assert event.data["verdict"] == "bad_name" and event.data["reason"] == reason


def test_it_refuses_an_empty_file(upload: Any) -> None:
    document = upload("vide.pdf", b"")
    assert (document.status, document.verdict) == (Status.REJECTED, "empty")
    assert last_event("document.upload.rejected").data["verdict"] == "empty"


def test_it_refuses_what_is_over_the_cap(upload: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 2048
    document = upload("photo.jpg", jpeg(400, 300, seed=8))
    assert (document.status, document.verdict) == (Status.REJECTED, "too_large")


def test_a_stranger_cannot_file_into_a_record(personas: Personas) -> None:
    for intruder in (personas.other_patient, personas.outsider, personas.other_practitioner):
        with pytest.raises(PermissionDenied):
            do_upload_document(
                SimpleUploadedFile("x.txt", b"x"),
                patient=personas.patient,
                organisation=personas.organisation,
                acting_user=intruder,
            )
    assert not Document.objects.exists()


def test_a_practitioner_files_into_their_patients_record(personas: Personas, upload: Any) -> None:
    document = upload("ordonnance.txt", b"Paracetamol 1 g\n", by=personas.practitioner)
    assert document.status == Status.PENDING and document.uploaded_by == personas.practitioner
