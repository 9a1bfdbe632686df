"""Sealed values of every registered kind under one key, for the key-rotation tests."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from telegarde.accounts.mfa.actions import SEAL_PURPOSE, totp_secret
from telegarde.accounts.mfa.models import TotpDevice
from telegarde.conftest import Personas
from telegarde.consultation.actions import do_open_room, do_post_chat_message, do_save_note
from telegarde.consultation.models import ChatMessage, ConsultationNote, Participant
from telegarde.core.vault import open_text
from telegarde.documents.actions import do_upload_document
from telegarde.documents.models import Document
from telegarde.documents.storage import open_data_key
from telegarde.lib.crypto import seal
from telegarde.messaging.actions import do_post_message, do_start_thread
from telegarde.messaging.models import Message, Thread
from telegarde.scheduling.models import Appointment

LEGACY_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(name="scratch_documents", autouse=True)
def scratch_documents(settings: Any, tmp_path: Path) -> None:
    settings.DOCUMENTS_DIR = str(tmp_path / "documents")


def new_key() -> str:
    return secrets.token_urlsafe(48)


def seal_everything(personas: Personas, messages: int = 3) -> None:
    """Chat, a note, messages, a document's data key, and a TOTP seed sealed the old way
    (lib/crypto.seal). Needs ``settings.DOCUMENTS_DIR`` pointing at a scratch folder."""
    start = timezone.now()
    appointment = Appointment.objects.create(
        organisation=personas.organisation,
        practitioner=personas.practitioner,
        patient=personas.patient,
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        kind="video",
    )
    room = do_open_room(appointment)
    author = Participant.objects.get(room=room, user=personas.patient)
    do_post_chat_message(room, author, "J'ai mal à la gorge")
    do_save_note(room, "Angine probable", acting_user=personas.practitioner)
    thread = do_start_thread(
        organisation=personas.organisation,
        patient=personas.patient,
        kind=Thread.Kind.PATIENT,
        recipient=personas.practitioner,
        body="message 0",
        acting_user=personas.patient,
    )
    for n in range(1, messages):
        do_post_message(thread, f"message {n}", acting_user=personas.patient)
    do_upload_document(
        SimpleUploadedFile("analyse.txt", b"Glycemie normale\n", "text/plain"),
        patient=personas.patient,
        organisation=personas.organisation,
        acting_user=personas.patient,
    )
    TotpDevice.objects.create(
        user=personas.patient,
        sealed_secret=seal(settings.DATA_KEY, SEAL_PURPOSE, LEGACY_SEED.encode()),
    )


def read_everything() -> dict[str, Any]:
    """Every sealed value, opened with the keys configured now."""
    return {
        "chat": [
            open_text(f"chat:{m.external_id}", m.sealed_body) for m in ChatMessage.objects.all()
        ],
        "notes": [
            open_text(f"note:{n.external_id}", n.sealed_body)
            for n in ConsultationNote.objects.all()
        ],
        "messages": sorted(open_text(m.context, m.sealed_body) for m in Message.objects.all()),
        "totp": sorted(totp_secret(d) for d in TotpDevice.objects.all()),
        "document_keys": [
            open_data_key(d.external_id, d.data_key).hex() for d in Document.objects.all()
        ],
    }
