"""Who gets an issued document: the patient, its issuer and the practitioners of the
organisation who may see the patient download it through the documents app; another
patient, another organisation and anonymous visitors can neither list nor download it."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.actions import do_grant_role, do_set_practitioner_profile
from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, enrol_totp, last_event, make_user, rpps
from telegarde.documents.issued import codes
from telegarde.documents.issued.models import IssuedDocument

from .conftest import Issue


@pytest.fixture
def issued(issue: Issue) -> IssuedDocument:
    return issue()


def download(issued: IssuedDocument) -> str:
    return reverse("documents:download", args=[issued.document.external_id])


def detail(issued: IssuedDocument) -> str:
    return reverse("issued:detail", args=[issued.external_id])


def colleague(personas: Personas) -> Any:
    """Another practitioner of the patient's organisation (not the issuer)."""
    user = make_user("collegue@test.fr", first_name="Claire", last_name="Collègue")
    do_grant_role(user, personas.organisation, Membership.Role.PRACTITIONER, acting_user=None)
    do_set_practitioner_profile(
        user, rpps=rpps("1000000002"), profession="pharmacist", acting_user=None
    )
    enrol_totp(user)
    return user


@pytest.mark.parametrize("who", ["patient", "practitioner", "colleague"])
def test_the_patient_and_their_practitioners_download_the_pdf(
    personas: Personas, issued: IssuedDocument, login: Any, who: str
) -> None:
    user = colleague(personas) if who == "colleague" else getattr(personas, who)
    client = login(user)
    response = client.get(download(issued))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == issued.sha256
    assert response["Content-Disposition"].startswith("attachment; ")
    assert last_event("document.downloaded").actor_id == str(user.external_id)
    page = client.get(detail(issued)).content.decode()
    assert codes.shown(issued.code) in page and download(issued) in page
    listing = reverse("documents:index" if who == "patient" else "documents:patient",
                      args=[] if who == "patient" else [personas.patient.external_id])  # fmt: skip
    assert codes.shown(issued.code) in client.get(listing).content.decode()


def test_a_practitioners_look_at_the_page_is_audited(
    personas: Personas, issued: IssuedDocument, login: Any
) -> None:
    login(personas.practitioner).get(detail(issued))
    viewed = last_event("patient.record.viewed")
    assert viewed.target_id == str(personas.patient.external_id)
    assert viewed.data == {"reason": "care_organisation", "record": "issued_document"}


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_strangers_can_neither_list_nor_download(
    personas: Personas, issued: IssuedDocument, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    assert client.get(download(issued)).status_code == 404
    assert client.get(detail(issued)).status_code == 404
    revoke = reverse("issued:revoke", args=[issued.external_id])
    assert client.post(revoke, {"reason": "Je révoque ce document"}).status_code == 404
    assert codes.shown(issued.code) not in client.get(reverse("documents:index")).content.decode()
    patient_page = reverse("documents:patient", args=[personas.patient.external_id])
    assert client.get(patient_page).status_code == 404
    issued.refresh_from_db()
    assert not issued.revoked


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, issued: IssuedDocument) -> None:
    for path in (download(issued), detail(issued)):
        response = client.get(path)
        assert response.status_code == 302 and "connexion" in response["Location"]
