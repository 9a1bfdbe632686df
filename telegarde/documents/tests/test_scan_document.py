"""The background scan: verdicts, events, sanitised storage, fail-closed retries."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from PIL import Image

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent
from telegarde.documents.actions import open_document
from telegarde.documents.models import Document
from telegarde.documents.worker import claim_next, scan_due

from .corpus import EICAR, jpeg, simple_pdf

Status = Document.Status


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    return exif.tobytes()


def test_a_clean_image_is_re_encoded_without_its_metadata(
    scanned: Any, documents_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    original = jpeg(320, 240, seed=1, exif=gps_exif(), comment=b"taken at home")
    with django_capture_on_commit_callbacks(execute=True):
        document = scanned("IMG_0001.JPG", original)
    assert document.status == Status.CLEAN and document.verdict == "clean"
    served = open_document(document)
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        assert not image.getexif() and "comment" not in image.info
    assert document.sha256 != document.original_sha256
    assert document.original_key == "" and not any(documents_dir.rglob("*.original"))
    event = last_event("document.scan.clean")
    assert event.data["verdict"] == "clean" and event.data["scanners"] == ["yara"]


def test_heic_is_served_as_jpeg(scanned: Any) -> None:
    from pillow_heif import from_pillow

    out = io.BytesIO()
    from_pillow(Image.new("RGB", (64, 48), (200, 30, 30))).save(out, format="HEIF")
    document = scanned("photo.heic", out.getvalue())
    assert document.status == Status.CLEAN
    assert (document.name, document.content_type) == ("photo.jpg", "image/jpeg")


def test_malware_is_quarantined_with_its_events(personas: Personas, scanned: Any) -> None:
    document = scanned("photo.jpg", jpeg(comment=EICAR))
    assert (document.status, document.verdict) == (Status.QUARANTINED, "malware")
    assert document.original_key  # kept, encrypted, for the security officer
    rejected = last_event("document.upload.rejected")
    assert rejected.data["verdict"] == "malware"
    assert "yara:EICAR_Test_File" in rejected.data["rules"]
    assert rejected.actor_id == str(personas.patient.external_id)
    assert rejected.target_id == str(document.external_id)
    assert last_event("document.quarantined").target_id == str(document.external_id)


def test_a_refused_type_keeps_nothing(
    scanned: Any, documents_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = scanned("facture.pdf", b"PK\x03\x04" + b"\0" * 100)
    assert (document.status, document.verdict) == (Status.REJECTED, "type_not_allowed")
    assert not any(documents_dir.rglob("*.*"))


def test_a_name_naming_another_type_is_refused(scanned: Any) -> None:
    document = scanned("radio.png", jpeg())
    assert (document.status, document.verdict) == (Status.REJECTED, "type_mismatch")
    declared = scanned("radio.jpg", jpeg(), declared="application/pdf")
    assert declared.verdict == "type_mismatch"


def test_an_encrypted_pdf_is_quarantined(scanned: Any) -> None:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(simple_pdf())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="secret"))
    document = scanned("bilan.pdf", out.getvalue())
    assert (document.status, document.verdict) == (Status.QUARANTINED, "pdf_encrypted")


def test_scanner_unavailable_stays_pending_and_backs_off(
    scanned: Any, settings: Any, tmp_path: Path
) -> None:
    from telegarde.documents.clamd import ClamdAddress

    settings.CLAMD_ADDRESS = ClamdAddress("unix", path=str(tmp_path / "nothing.sock"))
    document = scanned("notes.txt", b"RAS\n")
    assert (document.status, document.verdict) == (Status.PENDING, "scanner_unavailable")
    first_delay = document.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_delay <= timedelta(seconds=30)
    assert last_event("document.scan.unavailable").outcome == "failure"
    assert claim_next() is None  # not due yet
    Document.objects.filter(pk=document.pk).update(next_attempt_at=timezone.now())
    scan_due()
    document.refresh_from_db()
    assert document.scan_attempts == 2
    assert document.next_attempt_at - timezone.now() > timedelta(seconds=50)
    settings.CLAMD_ADDRESS = None
    Document.objects.filter(pk=document.pk).update(next_attempt_at=timezone.now())
    scan_due()
    document.refresh_from_db()
    assert document.status == Status.CLEAN


def test_a_claim_is_taken_once(upload: Any) -> None:
    document = upload("notes.txt", b"RAS\n")
    claimed = claim_next()
    assert claimed is not None and claimed.pk == document.pk
    assert claim_next() is None  # leased to the first worker
    assert SecurityEvent.objects.filter(action="document.scan.clean").count() == 0
