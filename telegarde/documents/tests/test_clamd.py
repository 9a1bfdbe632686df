"""The ClamAV path against a real clamd (INSTREAM), and failing closed without it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from telegarde.documents.actions import DocumentUnavailable, open_document
from telegarde.documents.clamd import ScannerUnavailable, scan_bytes
from telegarde.documents.models import Document
from telegarde.documents.pipeline import inspect

from .conftest import HASH_ONLY_SAMPLE, Clamd, start_clamd, write_signatures
from .corpus import EICAR, jpeg, simple_pdf

Status = Document.Status


def test_it_finds_the_body_and_the_hash_signature(clamd: Clamd) -> None:
    assert scan_bytes(clamd.address, EICAR) == "Telegarde.Test.EICAR.UNOFFICIAL"
    assert scan_bytes(clamd.address, HASH_ONLY_SAMPLE) == "Telegarde.Test.HashSample.UNOFFICIAL"
    assert scan_bytes(clamd.address, jpeg(seed=1)) is None


def test_it_answers_instream_in_milliseconds(clamd: Clamd) -> None:
    data = jpeg(1200, 900, seed=2)
    started = time.perf_counter()
    for _ in range(10):
        scan_bytes(clamd.address, data)
    per_scan = (time.perf_counter() - started) / 10
    print(f"clamd INSTREAM of {len(data) / 1e6:.2f} MB: {per_scan * 1000:.1f} ms")
    assert per_scan < 1.0


def test_it_quarantines_a_file_only_the_hash_signature_condemns(
    with_clamd: Clamd, settings: Any, scanned: Any
) -> None:
    settings.CLAMD_ADDRESS = None
    assert inspect(HASH_ONLY_SAMPLE, name="resultats.txt", declared_type="").verdict == "clean"
    settings.CLAMD_ADDRESS = with_clamd.address
    document = scanned("resultats.txt", HASH_ONLY_SAMPLE)
    assert document.status == Status.QUARANTINED
    assert document.verdict == "malware"
    assert {
        "scanner": "clamd",
        "rule": "Telegarde.Test.HashSample.UNOFFICIAL",
        "verdict": "malware",
    } in (document.verdict_details["findings"])
    with pytest.raises(DocumentUnavailable):
        open_document(document)


def test_it_finds_eicar_in_a_deflated_pdf_stream(with_clamd: Clamd, scanned: Any) -> None:
    document = scanned("ordonnance.pdf", simple_pdf(page_content=EICAR, compress=True))
    assert document.status == Status.QUARANTINED
    scanners = {f["scanner"] for f in document.verdict_details["findings"]}
    assert "clamd" in scanners


def test_a_stopped_clamd_leaves_documents_pending(
    clamd_binary: str, settings: Any, tmp_path: Path, scanned: Any
) -> None:
    write_signatures(tmp_path / "db")
    daemon = start_clamd(tmp_path / "stopped", tmp_path / "db")
    settings.CLAMD_ADDRESS = daemon.address
    daemon.stop()
    with pytest.raises(ScannerUnavailable):
        scan_bytes(daemon.address, b"hello")
    document = scanned("notes.txt", b"Tension 12/8.\n")
    assert document.status == Status.PENDING
    assert document.verdict == "scanner_unavailable"
    assert document.next_attempt_at is not None and document.scan_attempts == 1
    with pytest.raises(DocumentUnavailable):
        open_document(document)


def test_an_empty_database_makes_clamd_exit_and_documents_stay_pending(
    clamd_binary: str, settings: Any, tmp_path: Path, scanned: Any
) -> None:
    (tmp_path / "empty").mkdir()
    daemon = start_clamd(tmp_path / "nodb", tmp_path / "empty", wait=False)
    assert daemon.process.wait(timeout=30) != 0
    settings.CLAMD_ADDRESS = daemon.address
    document = scanned("photo.jpg", jpeg(seed=4))
    assert document.status == Status.PENDING
    assert document.storage_key == ""
