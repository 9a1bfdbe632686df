"""Listing, renaming and removing passkeys: only their owner may, and the same 404
answers for someone else's passkey and a missing one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.passkeys.models import Passkey
from telegarde.conftest import Personas, last_event

from .authenticator import SoftAuthenticator
from .helpers import mark_stepped_up, register


@pytest.fixture
def passkey(patient_client: Client, authenticator: SoftAuthenticator) -> Passkey:
    return register(patient_client, authenticator, name="Téléphone")


def test_the_list_shows_only_ones_own_passkeys(
    patient_client: Client, passkey: Passkey, login: Any, personas: Personas
) -> None:
    assert "Téléphone" in patient_client.get(reverse("passkeys:list")).content.decode()
    other = login(personas.other_patient)
    page = other.get(reverse("passkeys:list")).content.decode()
    assert "Téléphone" not in page
    assert str(passkey.external_id) not in page


def test_the_home_page_links_to_the_passkeys(patient_client: Client) -> None:
    page = patient_client.get(reverse("home")).content.decode()
    assert reverse("passkeys:list") in page


def test_it_renames_a_passkey(patient_client: Client, passkey: Passkey) -> None:
    response = patient_client.post(
        reverse("passkeys:rename", args=[passkey.external_id]), {"name": "Vieux téléphone"}
    )
    assert response.status_code == 302
    passkey.refresh_from_db()
    assert passkey.name == "Vieux téléphone"
    event = last_event("auth.passkey.renamed")
    assert event.data["old_name"] == "Téléphone"


def test_an_empty_name_is_refused_with_the_field_named(
    patient_client: Client, passkey: Passkey
) -> None:
    response = patient_client.post(
        reverse("passkeys:rename", args=[passkey.external_id]), {"name": ""}
    )
    assert response.status_code == 400
    assert "Donnez un nom à cette clé d&#x27;accès." in response.content.decode()


def test_it_removes_a_passkey_after_step_up(patient_client: Client, passkey: Passkey) -> None:
    url = reverse("passkeys:remove", args=[passkey.external_id])
    response = patient_client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    mark_stepped_up(patient_client)
    assert patient_client.get(url).status_code == 200
    assert patient_client.post(url).status_code == 302
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    event = last_event("auth.passkey.removed")
    assert event.data == {"name": "Téléphone", "key_hash": passkey.id_hash}


@pytest.mark.parametrize("who", ["other_patient", "outsider", "practitioner"])
def test_others_get_the_same_404_as_for_a_missing_passkey(
    passkey: Passkey, login: Any, personas: Personas, who: str
) -> None:
    client = login(getattr(personas, who))
    mark_stepped_up(client)
    for target in (passkey.external_id, uuid.uuid4()):
        rename = client.post(reverse("passkeys:rename", args=[target]), {"name": "Pris"})
        remove = client.post(reverse("passkeys:remove", args=[target]))
        assert (rename.status_code, remove.status_code) == (404, 404)
    passkey.refresh_from_db()
    assert passkey.name == "Téléphone"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, passkey: Passkey) -> None:
    client.logout()
    for response in (
        client.get(reverse("passkeys:list")),
        client.post(reverse("passkeys:rename", args=[passkey.external_id]), {"name": "x"}),
        client.post(reverse("passkeys:remove", args=[passkey.external_id])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Passkey.objects.filter(pk=passkey.pk, name="Téléphone").exists()
