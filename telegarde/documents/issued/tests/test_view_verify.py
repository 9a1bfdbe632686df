"""/verify: public, the four facts only, the copy compared byte for byte, forged and
revoked documents told apart, unknown codes neutral."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent
from telegarde.documents.actions import open_document
from telegarde.documents.issued import codes
from telegarde.documents.issued.actions import do_revoke_issued_document
from telegarde.documents.issued.models import IssuedDocument
from telegarde.documents.issued.pdf import Sheet, render_pdf

from .conftest import Issue, edited, pdf_text

SECRET_LINE = "Methotrexate 2,5 mg confidentiel"


def url(code: str) -> str:
    return reverse("issued:verify", args=[code])


@pytest.fixture
def issued(issue: Issue) -> IssuedDocument:
    return issue("prescription", SECRET_LINE)


def send_copy(client: Client, code: str, data: bytes, name: str = "ordonnance.pdf") -> Any:
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(url(code), {"file": upload})


def test_the_url_printed_in_the_qr_code_is_the_verify_page(issued: IssuedDocument) -> None:
    assert url(codes.shown(issued.code)) == f"/verify/{codes.shown(issued.code)}"


def test_a_genuine_code_shows_the_four_facts_and_nothing_of_the_patient(
    client: Client, personas: Personas, issued: IssuedDocument
) -> None:
    response = client.get(url(codes.shown(issued.code)))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="verify-genuine"' in page
    for fact in ("Ordonnance", "Paul Praticien", "Médecin", "MSP des Tests"):
        assert fact in page
    for secret in ("PATIENTE", "patiente@test.fr", SECRET_LINE, "1980", issued.sha256):
        assert secret not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    event = last_event("document.verified")
    assert event.target_id == str(issued.external_id)
    assert event.data == {"kind": "prescription", "check": "code"}
    assert event.actor_id == ""


def test_a_code_is_found_whatever_its_case_and_dashes(
    client: Client, issued: IssuedDocument
) -> None:
    assert client.get(url(issued.code.lower())).status_code == 200


def test_the_copy_received_is_checked_byte_for_byte(client: Client, issued: IssuedDocument) -> None:
    pdf = open_document(issued.document)
    response = send_copy(client, issued.code, pdf)
    assert response.status_code == 200
    assert 'id="verify-copy-ok"' in response.content.decode()
    event = last_event("document.verified")
    assert event.data["check"] == "copy" and event.data["copy_sha256"] == issued.sha256


def test_an_altered_copy_fails(client: Client, issued: IssuedDocument) -> None:
    pdf = open_document(issued.document)
    altered = edited(pdf, b"Methotrexate 2,5", b"Methotrexate 7,5")
    assert "Methotrexate 7,5" in pdf_text(altered)
    response = send_copy(client, issued.code, altered)
    page = response.content.decode()
    assert 'id="verify-copy-altered"' in page and 'id="verify-copy-ok"' not in page
    event = last_event("document.verification.failed")
    assert event.outcome == "failure" and event.data["reason"] == "altered_copy"
    assert event.data["copy_sha256"] == hashlib.sha256(altered).hexdigest()


def test_a_forged_prescription_with_a_real_code_fails(
    client: Client, personas: Personas, issued: IssuedDocument
) -> None:
    """A phisher redraws the prescription, code and all: the bytes are not the issued ones."""
    genuine = open_document(issued.document)
    code = codes.shown(issued.code)
    forged = render_pdf(
        Sheet(
            title="Ordonnance", organisation="MSP des Tests", issuer_name="Paul Praticien",
            issuer_profession="Médecin", rpps=personas.practitioner.practitioner.rpps,
            patient_birth_name="FAUSSAIRE", patient_first_names="Jean", patient_used_name="",
            patient_birth_date=issued.issued_at.date(), issued_at=issued.issued_at,
            consultation_at=None, paragraphs=["Oxycodone 80 mg, 60 comprimés"], numbered=True,
            code=code, verify_url=f"https://telegarde.example/verify/{code}",
        )
    )  # fmt: skip
    assert code in pdf_text(forged) and forged != genuine
    response = send_copy(client, code, forged)
    assert 'id="verify-copy-altered"' in response.content.decode()
    assert last_event("document.verification.failed").data["reason"] == "altered_copy"


def test_a_forged_prescription_with_a_made_up_code_is_not_found(
    client: Client, issued: IssuedDocument
) -> None:
    made_up = "ABCD-EFGH-JKLM" if issued.code != "ABCDEFGHJKLM" else "MLKJ-HGFE-DCBA"
    response = send_copy(client, made_up, open_document(issued.document))
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="verify-not-found"' in page and "Paul Praticien" not in page
    event = last_event("document.verification.failed")
    assert event.data == {"reason": "unknown_code", "code": made_up}
    assert event.target_id == ""


@pytest.mark.parametrize("code", ["near-miss", "abcd", "0000-0000-0000", "x" * 200, "%3Cb%3E"])
def test_unknown_and_malformed_codes_get_the_same_neutral_page(
    client: Client, issued: IssuedDocument, code: str
) -> None:
    if code == "near-miss":
        # A well-formed code one character away from a real one.
        last = "B" if issued.code[-1] != "B" else "C"
        code = f"{issued.code[:4]}-{issued.code[4:8]}-{issued.code[8:11]}{last}"
    response = client.get(url(code))
    assert response.status_code == 404
    assert 'id="verify-not-found"' in response.content.decode()
    assert last_event("document.verification.failed").data["reason"] == "unknown_code"


def test_a_revoked_document_says_so(
    client: Client, personas: Personas, issued: IssuedDocument
) -> None:
    do_revoke_issued_document(
        issued, reason="Erreur de posologie, remplacée", acting_user=personas.practitioner
    )
    response = send_copy(client, issued.code, open_document(issued.document))
    page = response.content.decode()
    assert 'id="verify-revoked"' in page and 'id="verify-genuine"' not in page
    assert "Erreur de posologie" not in page
    event = last_event("document.verification.failed")
    assert event.data["reason"] == "revoked" and event.target_id == str(issued.external_id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-" + b"0" * (1024 * 1024), "dépasse 1 Mo"),
        (b"", "vide"),
    ],
)
def test_a_bad_copy_is_a_form_error(
    client: Client, issued: IssuedDocument, data: bytes, message: str
) -> None:
    response = send_copy(client, issued.code, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SecurityEvent.objects.filter(action="document.verified", data__check="copy").exists()


def test_no_copy_sent_is_a_form_error(client: Client, issued: IssuedDocument) -> None:
    response = client.post(url(issued.code), {})
    assert response.status_code == 400
    assert 'id="verify-copy-ok"' not in response.content.decode()


def test_the_code_form_leads_to_the_verify_page(client: Client, issued: IssuedDocument) -> None:
    form = reverse("issued:verify_form")
    assert client.get(form).status_code == 200
    typed = " " + issued.code.lower()[:6] + " " + issued.code.lower()[6:]
    response = client.get(form, {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == url(codes.shown(issued.code))


def test_the_code_form_names_a_malformed_code(client: Client) -> None:
    response = client.get(reverse("issued:verify_form"), {"code": "ABC-01"})
    assert response.status_code == 200
    assert "Un code compte 12 lettres et chiffres" in response.content.decode()


def test_the_message_verification_page_points_to_it(client: Client) -> None:
    page = client.get(reverse("message_verification")).content.decode()
    assert f'href="{reverse("issued:verify_form")}"' in page
