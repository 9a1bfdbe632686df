"""The passkey as second factor after a password, and for step-up before a sensitive action."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.factors import enrolled_factors
from telegarde.accounts.login_flow import METHOD_KEY, PENDING_KEY, recently_stepped_up
from telegarde.accounts.passkeys.models import Passkey
from telegarde.conftest import Personas, last_event

from .authenticator import SoftAuthenticator
from .helpers import ORIGIN, RP_ID, options, register


@pytest.fixture
def passkey(patient_client: Client, authenticator: SoftAuthenticator) -> Passkey:
    passkey = register(patient_client, authenticator)
    patient_client.logout()
    return passkey


def _pending(client: Client, personas: Personas, next_url: str = "/accueil/") -> None:
    """The state after a right password: what ``begin_second_factor`` leaves."""
    session = client.session
    session[PENDING_KEY] = {
        "user": str(personas.patient.external_id),
        "at": time.time(),
        "next": next_url,
    }
    session.save()


def test_the_passkey_is_a_registered_second_factor(passkey: Passkey, personas: Personas) -> None:
    assert [f.key for f in enrolled_factors(personas.patient)] == ["passkey"]
    assert all(f.key != "passkey" for f in enrolled_factors(personas.other_patient))


def test_it_finishes_a_password_login(
    client: Client, passkey: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    _pending(client, personas)
    url = reverse("passkeys:challenge") + "?purpose=login"
    assert client.get(url).status_code == 200
    body = options(client, "challenge_options", "?purpose=login")
    assert [c["id"] for c in body["allowCredentials"]] == [passkey.credential_id]
    response = client.post(url, {"credential": authenticator.get(body)})
    assert response.status_code == 302
    assert response["Location"] == "/accueil/"
    assert client.session["_auth_user_id"] == str(personas.patient.pk)
    assert client.session[METHOD_KEY] == "passkey"
    assert last_event("auth.passkey.login.succeeded").data["purpose"] == "second_factor"


def test_another_accounts_passkey_cannot_finish_the_login(
    client: Client, passkey: Passkey, login: Any, personas: Personas
) -> None:
    intruder_key = SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)
    intruder = login(personas.other_patient)
    register(intruder, intruder_key, name="Clé de l'intrus")
    intruder.logout()
    _pending(client, personas)
    url = reverse("passkeys:challenge") + "?purpose=login"
    answer = intruder_key.get(options(client, "challenge_options", "?purpose=login"))
    response = client.post(url, {"credential": answer})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    event = last_event("auth.passkey.login.failed")
    assert event.data["reason"] == "unknown_passkey"
    assert event.target_id == str(personas.patient.external_id)


def test_without_a_pending_login_it_sends_back_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("passkeys:challenge") + "?purpose=login")
    assert response["Location"] == reverse("accounts:login")
    response = client.post(reverse("passkeys:challenge_options") + "?purpose=login")
    assert response.status_code == 400


def test_it_steps_up_a_signed_in_session(
    login: Any, passkey: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    client = login(personas.patient)
    assert not recently_stepped_up_for(client)
    query = "?purpose=step_up&next=/comptes/cles/"
    answer = authenticator.get(options(client, "challenge_options", query))
    response = client.post(reverse("passkeys:challenge") + query, {"credential": answer})
    assert response.status_code == 302
    assert response["Location"] == "/comptes/cles/"
    assert recently_stepped_up_for(client)
    assert last_event("auth.passkey.login.succeeded").data["purpose"] == "step_up"


def test_a_failed_step_up_is_recorded(
    login: Any, passkey: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    client = login(personas.patient)
    query = "?purpose=step_up"
    answer = authenticator.get(options(client, "challenge_options", query), verified=False)
    response = client.post(reverse("passkeys:challenge") + query, {"credential": answer})
    assert response.status_code == 400
    assert not recently_stepped_up_for(client)
    event = last_event("auth.passkey.login.failed")
    assert event.data == {
        "reason": "user_verification",
        "purpose": "step_up",
        "key_hash": passkey.id_hash,
    }


def recently_stepped_up_for(client: Client) -> bool:
    class Carrier:
        session = client.session

    return recently_stepped_up(Carrier())  # type: ignore[arg-type]
