"""Proven by: the malicious corpus is never delivered, the benign corpus never refused —
through the whole pipeline (upload, background scan, storage, open), with and without
clamd."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings as django_settings

from telegarde.documents.actions import DocumentUnavailable, open_document
from telegarde.documents.models import Document
from telegarde.documents.worker import scan_due

from .conftest import Clamd
from .corpus import benign, malicious

Status = Document.Status


@pytest.fixture(params=["builtin", "clamd"])
def scanners(request: pytest.FixtureRequest, settings: Any) -> str:
    if request.param == "clamd":
        clamd: Clamd = request.getfixturevalue("clamd")
        settings.CLAMD_ADDRESS = clamd.address
    return str(request.param)


def test_it_delivers_none_of_the_malicious_corpus(scanners: str, upload: Any) -> None:
    uploaded = {label: upload(name, data) for label, name, data in malicious()}
    scan_due()
    delivered = []
    for label, document in uploaded.items():
        document.refresh_from_db()
        assert document.status in (Status.QUARANTINED, Status.REJECTED), (label, document.status)
        try:
            open_document(document)
            delivered.append(label)
        except DocumentUnavailable:
            pass
    assert delivered == []
    assert len(uploaded) >= 20


def test_oversized_files_are_refused_before_storage(
    upload: Any, settings: Any, documents_dir: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 4096
    document = upload("scanner.pdf", b"%PDF-1.7\n" + b"0" * 5000)
    assert document.status == Status.REJECTED and document.verdict == "too_large"
    assert not documents_dir.exists() or not any(documents_dir.rglob("*.original"))


def test_it_refuses_none_of_the_benign_corpus(scanners: str, upload: Any) -> None:
    corpus = list(benign())
    assert len(corpus) >= 50
    documents = [upload(name, data) for _label, name, data in corpus]
    started = time.perf_counter()
    assert scan_due() == len(corpus)
    elapsed = time.perf_counter() - started
    megabytes = sum(len(data) for _l, _n, data in corpus) / 1e6
    print(
        f"\n{scanners}: {len(corpus)} files, {megabytes:.1f} MB scanned in {elapsed:.2f} s "
        f"({elapsed / megabytes:.2f} s/MB, {len(corpus) / elapsed:.0f} files/s)"
    )
    refused = []
    for (label, _name, data), document in zip(corpus, documents, strict=True):
        document.refresh_from_db()
        if document.status != Status.CLEAN:
            refused.append((label, document.verdict, document.verdict_details))
            continue
        content = open_document(document)
        assert content[:4] == data[:4] or document.content_type.startswith("image/")
    assert refused == []
    assert max(len(d) for _l, _n, d in corpus) <= django_settings.UPLOAD_MAX_BYTES
