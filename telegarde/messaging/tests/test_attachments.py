"""Attachments go through the documents pipeline: « en cours de vérification » until the
scan says clean, then downloadable through the documents app; refused files say why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.documents.actions import do_scan_document
from telegarde.documents.models import Document
from telegarde.messaging.actions import MAX_ATTACHMENTS
from telegarde.messaging.models import Attachment, Thread

from .fixtures import patient_thread_fixture  # noqa: F401

RESULTS = b"Resultats de la prise de sang: normaux.\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> None:
    settings.DOCUMENTS_DIR = str(tmp_path / "documents")


def reply(client: Any, thread: Thread, *files: SimpleUploadedFile) -> Any:
    return client.post(
        reverse("messaging:reply", args=[thread.external_id]),
        {"body": "Voici le document", "attachments": list(files)},
    )


def page(client: Any, thread: Thread) -> str:
    return str(client.get(reverse("messaging:thread", args=[thread.external_id])).content.decode())


def test_an_attachment_is_being_checked_then_available(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    client = login(personas.patient)
    response = reply(
        client, patient_thread, SimpleUploadedFile("analyse.txt", RESULTS, "text/plain")
    )

    assert response.status_code == 302
    attachment = Attachment.objects.select_related("document").get()
    document = attachment.document
    assert (document.patient, document.organisation) == (personas.patient, personas.organisation)
    assert document.status == Document.Status.PENDING
    assert "en cours de vérification" in page(client, patient_thread)
    assert last_event("message.posted").data["attachments"] == 1

    do_scan_document(document)

    document.refresh_from_db()
    assert document.status == Document.Status.CLEAN
    shown = page(client, patient_thread)
    download = reverse("documents:download", args=[document.external_id])
    assert "en cours de vérification" not in shown
    assert f'href="{download}"' in shown
    assert client.get(download).status_code == 200


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_strangers_cannot_download_it(
    personas: Personas, login: Any, client: Any, patient_thread: Thread, who: str
) -> None:
    reply(login(personas.patient), patient_thread, SimpleUploadedFile("a.txt", RESULTS))
    document = Attachment.objects.get().document
    do_scan_document(document)
    client.logout()

    response = login(getattr(personas, who)).get(
        reverse("documents:download", args=[document.external_id])
    )

    assert response.status_code == 404


def test_the_practitioner_sees_it_pending_without_a_link(
    personas: Personas, login: Any, client: Any, patient_thread: Thread
) -> None:
    reply(login(personas.patient), patient_thread, SimpleUploadedFile("a.txt", RESULTS))
    client.logout()

    shown = page(login(personas.practitioner), patient_thread)

    assert "en cours de vérification" in shown
    assert "telecharger" not in shown


def test_a_file_refused_on_arrival_is_said_refused(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    client = login(personas.patient)
    long_name = "compte-rendu-" + "x" * 230 + ".txt"  # past the pipeline's 200 characters
    response = reply(client, patient_thread, SimpleUploadedFile(long_name, RESULTS))

    assert response.status_code == 302
    assert Attachment.objects.get().document.status == Document.Status.REJECTED
    shown = page(client, patient_thread)
    assert "est refusé" in shown  # the flash message, in plain words
    assert "telecharger" not in shown


def test_an_executable_renamed_pdf_is_never_offered(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    client = login(personas.patient)
    reply(client, patient_thread, SimpleUploadedFile("ordonnance.pdf", ELF))
    document = Attachment.objects.get().document

    do_scan_document(document)

    document.refresh_from_db()
    assert document.status in (Document.Status.REJECTED, Document.Status.QUARANTINED)
    shown = page(client, patient_thread)
    assert document.get_status_display().lower() in shown
    assert "telecharger" not in shown


def test_it_refuses_too_many_files_and_posts_nothing(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    files = [SimpleUploadedFile(f"{n}.txt", RESULTS) for n in range(MAX_ATTACHMENTS + 1)]

    response = reply(login(personas.patient), patient_thread, *files)

    assert response.status_code == 400
    assert "Joignez au plus 5 fichiers" in response.content.decode()
    assert patient_thread.messages.count() == 1
    assert not Document.objects.exists()


def test_a_file_over_the_cap_is_refused_and_the_text_kept(
    personas: Personas, login: Any, patient_thread: Thread, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024

    response = reply(
        login(personas.patient), patient_thread, SimpleUploadedFile("gros.txt", RESULTS * 100)
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "« gros.txt » est trop volumineux." in content
    assert "Voici le document" in content
    assert patient_thread.messages.count() == 1
