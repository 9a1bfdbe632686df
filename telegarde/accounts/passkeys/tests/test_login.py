"""Signing in with a passkey alone, and every way a forged or bent assertion is refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.login_flow import METHOD_KEY
from telegarde.accounts.passkeys.models import Passkey
from telegarde.conftest import Personas, last_event

from .authenticator import SoftAuthenticator, b64
from .helpers import LOOKALIKE, options, register


@pytest.fixture
def enrolled(patient_client: Client, authenticator: SoftAuthenticator) -> Passkey:
    passkey = register(patient_client, authenticator)
    patient_client.logout()
    return passkey


def _login(client: Client, answer: str, next_url: str = "") -> object:
    return client.post(reverse("passkeys:login"), {"credential": answer, "next": next_url})


def test_it_signs_in_without_a_password(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    answer = authenticator.get(options(client, "login_options"))
    response = client.post(reverse("passkeys:login"), {"credential": answer})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(personas.patient.pk)
    assert client.session[METHOD_KEY] == "passkey"
    event = last_event("auth.passkey.login.succeeded")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data == {"purpose": "login", "key_hash": enrolled.id_hash, "name": "Téléphone"}
    assert last_event("auth.login.succeeded").actor_id == str(personas.patient.external_id)
    enrolled.refresh_from_db()
    assert enrolled.sign_count == 1
    assert enrolled.last_used is not None


def test_the_login_options_ask_for_any_discoverable_passkey(client: Client, db: None) -> None:
    body = options(client, "login_options")
    assert body["rpId"] == "telegarde.localhost"
    assert body["userVerification"] == "required"
    assert body.get("allowCredentials", []) == []


def test_it_follows_a_safe_next_only(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator
) -> None:
    answer = authenticator.get(options(client, "login_options"))
    response = client.post(
        reverse("passkeys:login"), {"credential": answer, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def _refused(client: Client, answer: str) -> str:
    response = client.post(reverse("passkeys:login"), {"credential": answer})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert 'role="alert"' in page
    return page


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ({"origin": LOOKALIKE}, "origin"),
        ({"kind": "webauthn.create"}, "type"),
        ({"challenge": b64(b"an old challenge")}, "challenge_mismatch"),
        ({"verified": False}, "user_verification"),
        ({"rp_id": "telegarde-securite.localhost"}, "invalid"),
        ({"bad_signature": True}, "invalid"),
    ],
)
def test_it_refuses_a_bent_assertion(
    client: Client,
    enrolled: Passkey,
    authenticator: SoftAuthenticator,
    bend: dict[str, object],
    reason: str,
) -> None:
    answer = authenticator.get(options(client, "login_options"), **bend)  # type: ignore[arg-type]
    _refused(client, answer)
    event = last_event("auth.passkey.login.failed")
    assert event.outcome == "failure"
    assert event.data["reason"] == reason
    assert enrolled.credential_id not in json.dumps(event.data)


def test_the_lookalike_origin_is_named_in_the_message(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator
) -> None:
    answer = authenticator.get(options(client, "login_options"), origin=LOOKALIKE)
    assert "adresse officielle" in _refused(client, answer)


def test_a_replayed_assertion_is_refused(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator
) -> None:
    answer = authenticator.get(options(client, "login_options"))
    assert _login(client, answer).status_code == 302  # type: ignore[attr-defined]
    client.logout()
    _refused(client, answer)
    assert last_event("auth.passkey.login.failed").data["reason"] == "challenge_missing"


def test_an_answer_without_a_challenge_is_refused(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator
) -> None:
    _refused(client, authenticator.get({"challenge": b64(b"never issued")}))
    assert last_event("auth.passkey.login.failed").data["reason"] == "challenge_missing"


def test_a_cloned_authenticator_is_refused(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    answer = authenticator.get(options(client, "login_options"), count=5)
    assert _login(client, answer).status_code == 302  # type: ignore[attr-defined]
    client.logout()
    # A copy of the key that has signed fewer times than the original.
    _refused(client, authenticator.get(options(client, "login_options"), count=3))
    event = last_event("auth.passkey.login.failed")
    assert event.data["reason"] == "cloned_authenticator"
    assert event.target_id == str(personas.patient.external_id)
    enrolled.refresh_from_db()
    assert enrolled.sign_count == 5


def test_an_unknown_passkey_is_refused(client: Client, db: None) -> None:
    stranger = SoftAuthenticator(
        rp_id="telegarde.localhost", origin="http://telegarde.localhost:8000"
    )
    _refused(client, stranger.get(options(client, "login_options")))
    assert last_event("auth.passkey.login.failed").data["reason"] == "unknown_passkey"


def test_a_deactivated_account_cannot_sign_in(
    client: Client, enrolled: Passkey, authenticator: SoftAuthenticator, personas: Personas
) -> None:
    personas.patient.is_active = False
    personas.patient.save(update_fields=["is_active"])
    _refused(client, authenticator.get(options(client, "login_options")))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "{",
        "[1, 2]",
        '"a string"',
        '{"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "!!"}}',
        json.dumps(
            {
                "id": "AA",
                "rawId": "AA",
                "type": "public-key",
                "response": {"clientDataJSON": "e30", "authenticatorData": "", "signature": ""},
            }
        ),
        "x" * 40_000,
    ],
)
def test_malformed_answers_are_a_clear_error_not_a_crash(
    client: Client, enrolled: Passkey, garbage: str
) -> None:
    options(client, "login_options")
    page = _refused(client, garbage)
    assert "illisible" in page
    assert last_event("auth.passkey.login.failed").data["reason"] == "malformed"


def test_the_login_page_shows_the_passkey_button(client: Client, db: None) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Se connecter avec une clé d&#x27;accès</button>" in page
    assert 'type="module"' in page
    assert "onclick" not in page
    assert "style=" not in page
