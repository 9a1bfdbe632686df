"""Issuing: the PDF (code, QR, identity), its storage (encrypted, clean, hash), the
event, and what is refused (bad content, strangers, a PDF that fails the checks)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from telegarde.conftest import Personas, last_event
from telegarde.consultation.models import Room
from telegarde.documents.actions import do_upload_document, open_document
from telegarde.documents.issued import actions, codes, pdf
from telegarde.documents.issued.actions import do_issue_document
from telegarde.documents.issued.models import IssuedDocument
from telegarde.documents.models import Document

from .conftest import NOTE, Issue, pdf_text, qr_texts, with_javascript


def test_it_files_a_clean_pdf_whose_bytes_hash_to_the_stored_sha256(
    personas: Personas, issue: Issue, documents_dir: Path
) -> None:
    issued = issue()
    document = issued.document
    pdf = open_document(document)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == issued.sha256 == document.sha256
    assert document.status == Document.Status.CLEAN and document.available
    assert document.patient == personas.patient and document.uploaded_by == personas.practitioner
    assert document.content_type == "application/pdf"
    day = timezone.localdate(issued.issued_at).isoformat()
    assert document.name == f"ordonnance-{day}-{issued.code}.pdf"
    # Encrypted at rest: the PDF's bytes appear nowhere in the documents folder.
    stored = [p.read_bytes() for p in documents_dir.rglob("*") if p.is_file()]
    assert stored and all(b"%PDF" not in blob for blob in stored)


def test_the_pdf_carries_the_code_and_a_qr_code_of_the_verify_url(issue: Issue) -> None:
    issued = issue()
    pdf = open_document(issued.document)
    shown = codes.shown(issued.code)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", shown)
    assert f"Code de vérification : {shown}" in pdf_text(pdf)
    assert qr_texts(pdf) == [f"https://telegarde.example/verify/{shown}"]


def test_the_pdf_names_the_practitioner_and_the_patient_by_ins_traits(
    personas: Personas, issue: Issue
) -> None:
    text = pdf_text(open_document(issue().document))
    for expected in (
        "MSP des Tests",
        "Paul Praticien",
        "Médecin",
        f"N° RPPS : {personas.practitioner.practitioner.rpps}",
        "ORDONNANCE",
        "Nom de naissance : PATIENTE",
        "Prénoms : Test",
        "Date de naissance : 02/01/1980",
        "1. Paracétamol 1 g",
        "2. Sérum physiologique",
        "Signature du praticien",
    ):
        assert expected in text


def test_a_report_from_a_consultation_dates_it(personas: Personas, room: Room) -> None:
    issued = do_issue_document(
        "report", NOTE, patient=personas.patient, organisation=personas.organisation,
        room=room, acting_user=personas.practitioner,
    )  # fmt: skip
    assert issued.room == room and issued.kind == IssuedDocument.Kind.REPORT
    text = pdf_text(open_document(issued.document))
    assert "COMPTE RENDU DE CONSULTATION" in text
    assert "À la suite de la téléconsultation du" in text
    assert "Grippe probable." in text


def test_it_records_its_event(personas: Personas, issue: Issue) -> None:
    issued = issue()
    event = last_event("document.issued")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(issued.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)
    assert event.data["code"] == issued.code and event.data["sha256"] == issued.sha256
    assert event.data["kind"] == "prescription"
    assert event.data["patient"] == str(personas.patient.external_id)


def test_codes_are_unique_and_facts_are_frozen(personas: Personas, issue: Issue) -> None:
    first, second = issue(), issue("report", "Examen normal.")
    assert first.code != second.code
    assert first.issuer_name == "Paul Praticien"
    assert first.issuer_profession == "Médecin"
    assert first.organisation_name == "MSP des Tests"


@pytest.mark.parametrize(
    ("kind", "content", "field", "message"),
    [
        ("prescription", "", "lines", "aucune ligne"),
        ("prescription", " \n \n", "lines", "aucune ligne"),
        ("prescription", "\n".join(["Doliprane"] * 31), "lines", "30 lignes"),
        ("prescription", "ok\n" + "x" * 301, "lines", "ligne 2 dépasse 300"),
        ("prescription", "Posologie ≥ 2 g", "lines", "U+2265"),
        ("prescription", "Doliprane\x07", "lines", "U+0007"),
        ("report", "   ", "text", "vide"),
        ("report", "x" * 10_001, "text", "10000 caractères"),
    ],
)
def test_bad_content_is_refused_on_its_field(
    issue: Issue, kind: str, content: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        issue(kind, content)
    errors = refused.value.message_dict
    assert list(errors) == [field] and message in errors[field][0]
    assert not IssuedDocument.objects.exists() and not Document.objects.exists()


@pytest.mark.parametrize("who", ["patient", "staff", "other_practitioner", "outsider"])
def test_only_a_practitioner_of_the_patients_organisation_issues(
    personas: Personas, issue: Issue, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        issue(by=getattr(personas, who))
    assert not IssuedDocument.objects.exists()


def test_a_practitioner_cannot_issue_from_someone_elses_consultation(
    personas: Personas, room: Room
) -> None:
    with pytest.raises(PermissionDenied):
        do_issue_document(
            "report", NOTE, patient=personas.other_patient, organisation=personas.organisation,
            room=room, acting_user=personas.practitioner,
        )  # fmt: skip


def test_text_naming_active_content_stays_text(issue: Issue) -> None:
    """What the practitioner types is drawn as text: it never becomes a PDF object, so
    the pipeline's checks pass the result."""
    issued = issue("report", "Voir /JavaScript /Launch <script>alert(1)</script> (X5O!P%@AP")
    pdf = open_document(issued.document)
    assert actions._local_findings(pdf) == []
    assert "/JavaScript /Launch <script>" in pdf_text(pdf)


def test_a_generated_pdf_with_active_content_is_never_filed(
    issue: Issue, monkeypatch: Any, documents_dir: Path
) -> None:
    render = pdf.render_pdf
    monkeypatch.setattr(actions, "render_pdf", lambda sheet: with_javascript(render(sheet)))
    with pytest.raises(ValidationError) as refused:
        issue()
    assert "pdf:" in refused.value.message_dict["lines"][0]
    assert not Document.objects.exists()
    assert not [p for p in documents_dir.rglob("*") if p.is_file()]


def test_uploading_an_issued_pdf_goes_through_the_scan_like_any_file(
    personas: Personas, issue: Issue
) -> None:
    pdf = open_document(issue().document)
    copy = do_upload_document(
        SimpleUploadedFile("ordonnance.pdf", pdf, content_type="application/pdf"),
        patient=personas.patient,
        organisation=personas.organisation,
        acting_user=personas.patient,
    )
    assert copy.status == Document.Status.PENDING
    assert not hasattr(copy, "issued") or copy.issued is None
