"""Revocation: by the issuer only, with a reason, once; recorded; the page offers it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.documents.issued.actions import do_revoke_issued_document
from telegarde.documents.issued.models import IssuedDocument

from .conftest import Issue

REASON = "Erreur de posologie : ordonnance remplacée"


@pytest.fixture
def issued(issue: Issue) -> IssuedDocument:
    return issue()


def test_it_records_its_event(personas: Personas, issued: IssuedDocument) -> None:
    revoked = do_revoke_issued_document(issued, reason=REASON, acting_user=personas.practitioner)
    assert revoked.revoked and revoked.revocation_reason == REASON
    assert revoked.revoked_by == personas.practitioner
    event = last_event("document.issued.revoked")
    assert event.target_id == str(issued.external_id)
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"kind": "prescription", "code": issued.code}


def test_it_needs_a_reason(personas: Personas, issued: IssuedDocument) -> None:
    with pytest.raises(ValidationError) as refused:
        do_revoke_issued_document(issued, reason=" erreur ", acting_user=personas.practitioner)
    assert "reason" in refused.value.message_dict


def test_it_happens_once(personas: Personas, issued: IssuedDocument) -> None:
    do_revoke_issued_document(issued, reason=REASON, acting_user=personas.practitioner)
    with pytest.raises(ValidationError):
        do_revoke_issued_document(issued, reason=REASON, acting_user=personas.practitioner)


@pytest.mark.parametrize("who", ["patient", "staff", "other_practitioner"])
def test_only_the_issuer_revokes(personas: Personas, issued: IssuedDocument, who: str) -> None:
    with pytest.raises(PermissionDenied):
        do_revoke_issued_document(issued, reason=REASON, acting_user=getattr(personas, who))


def test_the_issuer_revokes_from_the_page(
    personas: Personas, issued: IssuedDocument, login: Any
) -> None:
    client = login(personas.practitioner)
    revoke = reverse("issued:revoke", args=[issued.external_id])
    assert (
        revoke in client.get(reverse("issued:detail", args=[issued.external_id])).content.decode()
    )
    short = client.post(revoke, {"reason": "erreur"})
    assert short.status_code == 400 and list(short.context["form"].errors) == ["reason"]
    assert client.post(revoke, {"reason": REASON}).status_code == 302
    issued.refresh_from_db()
    assert issued.revoked


def test_the_patient_sees_the_revocation_but_cannot_revoke(
    personas: Personas, issued: IssuedDocument, login: Any
) -> None:
    do_revoke_issued_document(issued, reason=REASON, acting_user=personas.practitioner)
    client = login(personas.patient)
    page = client.get(reverse("issued:detail", args=[issued.external_id])).content.decode()
    assert REASON in page and reverse("issued:revoke", args=[issued.external_id]) not in page
    revoke = reverse("issued:revoke", args=[issued.external_id])
    assert client.post(revoke, {"reason": REASON}).status_code == 404
