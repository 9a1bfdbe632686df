"""Fixtures of the issued-document tests: a private documents folder, an ended
consultation with notes, issuing as a persona, and readers of a PDF (its text, its QR)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, cast

import pikepdf
import pytest
import zxingcpp

from telegarde.accounts.models import User
from telegarde.conftest import Personas
from telegarde.consultation.actions import do_end_consultation, do_open_room, do_save_note
from telegarde.consultation.models import Room
from telegarde.consultation.tests.fixtures import make_appointment
from telegarde.documents.issued.actions import do_issue_document
from telegarde.documents.issued.models import IssuedDocument
from telegarde.documents.tests.conftest import documents_dir  # noqa: F401

NOTE = "Grippe probable. Repos et hydratation ; revoir si fièvre au-delà de 3 jours."
LINES = "Paracétamol 1 g : 1 comprimé toutes les 6 heures si douleur, 5 jours\nSérum physiologique"


@pytest.fixture(autouse=True)
def public_url(settings: Any, request: pytest.FixtureRequest) -> str:
    """The address printed in QR codes (and a private documents folder, by the fixture
    of the documents tests)."""
    request.getfixturevalue("documents_dir")
    settings.PUBLIC_URL = "https://telegarde.example"
    return str(settings.PUBLIC_URL)


@pytest.fixture
def room(personas: Personas) -> Room:
    """An ended consultation of the patient with the practitioner, with notes."""
    the_room = do_open_room(make_appointment(personas))
    do_save_note(the_room, NOTE, acting_user=personas.practitioner)
    return do_end_consultation(the_room, acting_user=personas.practitioner)


Issue = Callable[..., IssuedDocument]


@pytest.fixture
def issue(personas: Personas) -> Issue:
    """``issue(kind="prescription", content=LINES, by=practitioner)`` for the patient."""

    def issued(
        kind: str = "prescription", content: str = LINES, *, by: User | None = None
    ) -> IssuedDocument:
        return do_issue_document(
            kind,
            content,
            patient=personas.patient,
            organisation=personas.organisation,
            acting_user=by or personas.practitioner,
        )

    return issued


def pdf_text(data: bytes) -> str:
    """The text drawn on the PDF's pages (decoded content streams, Windows-1252)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        parts = [page.Contents.read_bytes() for page in pdf.pages]
    return b"\n".join(parts).decode("cp1252")


def qr_texts(data: bytes) -> list[str]:
    """What the QR codes drawn on the PDF's pages say, decoded from the embedded images."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for image in page.get_images().values():
                picture = pikepdf.PdfImage(cast(pikepdf.Stream, image)).as_pil_image()
                found += [code.text for code in zxingcpp.read_barcodes(picture)]
    return found


def with_javascript(data: bytes) -> bytes:
    """``data`` with a JavaScript action run when the PDF opens."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')")
        )
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` as a forger would edit it: the page's text changed, the file rewritten."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        content = page.Contents.read_bytes()
        assert old in content
        page.Contents.write(content.replace(old, new))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()
