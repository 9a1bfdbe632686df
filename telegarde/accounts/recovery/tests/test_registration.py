"""Patient self-registration: same answer for every address, the account only after
the mailed link, identity and organisation on the completion page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from telegarde.accounts.models import Membership, Organisation, User
from telegarde.accounts.recovery.tokens import registration_token
from telegarde.conftest import Personas, last_event

from .conftest import Post, link_in

URL = "/comptes/inscription/"
PASSWORD = "tilleul orage carnet valise prune marmotte"
NAMED = "lefevre orage carnet valise"


def identity(**changes: str) -> dict[str, str]:
    data = {
        "birth_last_name": "Lefèvre",
        "first_names": "Claire Anne",
        "used_last_name": "",
        "birth_date": "1985-04-12",
        "sex": "F",
        "birthplace_code": "69123",
        "organisation": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def test_it_answers_the_same_whether_or_not_the_address_has_an_account(
    personas: Personas, post: Post
) -> None:
    known = post(URL, {"email": personas.patient.email})
    unknown = post(URL, {"email": "nouvelle@test.fr"})
    assert known.url == unknown.url == reverse("accounts:register_sent")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "déjà un compte" in by_address[personas.patient.email].body
    assert "/comptes/inscription/" in by_address["nouvelle@test.fr"].body
    for message in mail.outbox:
        assert "ne vous demandera jamais votre mot de passe" in message.body
    assert last_event("account.registration.requested").data["account_exists"] is False
    assert not User.objects.filter(email="nouvelle@test.fr").exists()


def test_it_creates_the_patient_after_the_link_is_followed(
    personas: Personas, post: Post, client: Client
) -> None:
    post(URL, {"email": "nouvelle@test.fr"})
    link = link_in(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert personas.organisation.name in page.content.decode()
    assert "Agence" not in page.content.decode()

    done = client.post(link, identity(organisation=str(personas.organisation.pk)))
    assert done["Location"] == reverse("accounts:login")
    user = User.objects.get(email="nouvelle@test.fr")
    assert user.check_password(PASSWORD)
    assert user.patient.birth_last_name == "LEFÈVRE"
    assert Membership.objects.filter(
        user=user, organisation=personas.organisation, role=Membership.Role.PATIENT
    ).exists()
    completed = last_event("account.registration.completed")
    assert completed.target_id == str(user.external_id)
    assert completed.data == {"organisation_chosen": True}

    reused = client.post(link, identity())
    assert "déjà servi" in reused.content.decode()
    assert User.objects.filter(email__iexact="nouvelle@test.fr").count() == 1


def test_it_lets_a_patient_join_no_organisation_yet(db: Any, client: Client) -> None:
    link = reverse("accounts:register_complete", kwargs={"token": registration_token("a@b.fr")})
    client.post(link, identity())
    user = User.objects.get(email="a@b.fr")
    assert not user.memberships.exists()
    assert last_event("account.registration.completed").data == {"organisation_chosen": False}


def test_it_offers_only_organisations_that_see_patients(db: Any, client: Client) -> None:
    Organisation.objects.create(name="ARS Test", kind="regional_agency")
    agency = Organisation.objects.get(name="ARS Test")
    link = reverse("accounts:register_complete", kwargs={"token": registration_token("a@b.fr")})
    response = client.post(link, identity(organisation=str(agency.pk)))
    assert response.status_code == 200
    assert not User.objects.filter(email="a@b.fr").exists()


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"birthplace_code": "ABCDE"}, "INSEE"),
        ({"birth_date": "1850-01-01"}, "plausible"),
        ({"password1": NAMED, "password2": NAMED}, "votre nom"),
        ({"password2": "autre chose"}, "pas identiques"),
        ({"password1": "x" * 2000, "password2": "x" * 2000}, "1024"),
    ],
)
def test_it_keeps_nothing_when_a_field_is_wrong(
    db: Any, client: Client, changes: dict[str, str], field_text: str
) -> None:
    link = reverse("accounts:register_complete", kwargs={"token": registration_token("a@b.fr")})
    response = client.post(link, identity(**changes))
    assert response.status_code == 200
    assert field_text in response.content.decode()
    assert not User.objects.filter(email="a@b.fr").exists()


def test_it_refuses_an_expired_or_altered_link(
    db: Any, client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = registration_token("a@b.fr")
    altered = client.get(reverse("accounts:register_complete", kwargs={"token": token + "x"}))
    assert altered.status_code == 400
    assert last_event("account.registration.failed").data == {"reason": "invalid"}

    settings.REGISTRATION_LINK_MAX_AGE = -1
    expired = client.get(reverse("accounts:register_complete", kwargs={"token": token}))
    assert expired.status_code == 400
    assert last_event("account.registration.failed").data == {"reason": "expired"}
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt="telegarde.accounts.recovery.registration", max_age=-1)
