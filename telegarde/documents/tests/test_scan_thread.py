"""The embedded profile: the web process's background thread scans after commit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from telegarde.conftest import Personas
from telegarde.documents.actions import do_upload_document
from telegarde.documents.models import Document
from telegarde.documents.worker import scan_thread


@pytest.fixture
def thread_mode(settings: Any) -> None:
    """Asked for before ``personas``: no live detection thread holding a connection of
    its own (the test database could not be dropped), scans in this process's thread."""
    settings.DETECTION_MODE = "off"
    settings.DOCUMENTS_SCAN = "thread"


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_scanned_by_the_thread_once_committed(
    thread_mode: None, personas: Personas
) -> None:
    document = do_upload_document(
        SimpleUploadedFile("notes.txt", b"RAS\n"),
        patient=personas.patient,
        organisation=personas.organisation,
        acting_user=personas.patient,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != Document.Status.PENDING:
            break
        time.sleep(0.05)
    assert scan_thread().queue.wait_idle()
    assert document.status == Document.Status.CLEAN
