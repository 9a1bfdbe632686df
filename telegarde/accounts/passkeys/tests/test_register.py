"""Adding a passkey: the attestation is checked against the challenge, origin and RP ID."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.passkeys.ceremonies import SESSION_KEY
from telegarde.accounts.passkeys.models import Passkey
from telegarde.conftest import Personas, enrol_totp, last_event

from .authenticator import SoftAuthenticator, b64
from .helpers import LOOKALIKE, mark_stepped_up, options, register


def test_it_registers_a_passkey_and_records_the_event(
    patient_client: Client, personas: Personas, authenticator: SoftAuthenticator
) -> None:
    passkey = register(patient_client, authenticator, name="Téléphone de Louise")
    assert passkey.user == personas.patient
    assert passkey.credential_id == b64(authenticator.credential_id)
    assert passkey.transports == ["internal"]
    event = last_event("auth.passkey.registered")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data["name"] == "Téléphone de Louise"
    assert event.data["key_hash"] == passkey.id_hash
    assert passkey.credential_id not in json.dumps(event.data)


def test_the_options_require_a_verifying_resident_key(patient_client: Client) -> None:
    body = options(patient_client, "add_options")
    assert body["rp"]["id"] == "telegarde.localhost"
    assert body["authenticatorSelection"]["residentKey"] == "required"
    assert body["authenticatorSelection"]["userVerification"] == "required"


def test_it_lists_existing_passkeys_as_excluded(
    patient_client: Client, authenticator: SoftAuthenticator
) -> None:
    register(patient_client, authenticator)
    mark_stepped_up(patient_client)
    body = options(patient_client, "add_options")
    assert [c["id"] for c in body["excludeCredentials"]] == [b64(authenticator.credential_id)]


def test_several_passkeys_per_account(patient_client: Client, personas: Personas) -> None:
    for name in ("Téléphone", "Ordinateur"):
        mark_stepped_up(patient_client)
        register(
            patient_client,
            SoftAuthenticator(
                rp_id="telegarde.localhost", origin="http://telegarde.localhost:8000"
            ),
            name=name,
        )
    assert sorted(Passkey.objects.filter(user=personas.patient).values_list("name", flat=True)) == [
        "Ordinateur",
        "Téléphone",
    ]


def test_a_second_factor_holder_must_step_up_first(login: Any, personas: Personas) -> None:
    client = login(personas.practitioner)  # enrolled TOTP in the personas
    response = client.get(reverse("passkeys:add"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert client.post(reverse("passkeys:add_options")).status_code == 302


def test_a_patient_with_totp_also_steps_up(
    patient_client: Client, personas: Personas, authenticator: SoftAuthenticator
) -> None:
    enrol_totp(personas.patient)
    assert patient_client.get(reverse("passkeys:add")).status_code == 302
    mark_stepped_up(patient_client)
    register(patient_client, authenticator)


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("passkeys:add"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _post(client: Client, answer: str, name: str = "Clé") -> str:
    response = client.post(reverse("passkeys:add"), {"name": name, "credential": answer})
    assert response.status_code == 400
    assert not Passkey.objects.exists()
    return response.content.decode()


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ({"origin": LOOKALIKE}, "origin"),
        ({"kind": "webauthn.get"}, "type"),
        ({"challenge": b64(b"not the challenge")}, "challenge_mismatch"),
        ({"verified": False}, "user_verification"),
    ],
)
def test_it_refuses_a_bent_attestation(
    patient_client: Client, authenticator: SoftAuthenticator, bend: dict[str, object], reason: str
) -> None:
    answer = authenticator.create(options(patient_client, "add_options"), **bend)  # type: ignore[arg-type]
    page = _post(patient_client, answer)
    assert 'role="alert"' in page
    event = last_event("auth.passkey.registration.failed")
    assert event.outcome == "failure"
    assert event.data["reason"] == reason


@pytest.mark.parametrize(
    "garbage",
    ["{", "[]", "null", '{"id": 1}', '{"id": "a", "rawId": "a", "response": {}}', "x" * 40_000],
)
def test_malformed_json_is_a_clear_error_not_a_crash(patient_client: Client, garbage: str) -> None:
    options(patient_client, "add_options")
    _post(patient_client, garbage)
    assert last_event("auth.passkey.registration.failed").data["reason"] == "malformed"


def test_a_corrupt_attestation_object_is_refused(
    patient_client: Client, authenticator: SoftAuthenticator
) -> None:
    answer = json.loads(authenticator.create(options(patient_client, "add_options")))
    answer["response"]["attestationObject"] = b64(b"\xa1not cbor")
    _post(patient_client, json.dumps(answer))
    assert last_event("auth.passkey.registration.failed").data["reason"] == "invalid"


def test_a_replayed_attestation_is_refused(
    patient_client: Client, authenticator: SoftAuthenticator
) -> None:
    answer = authenticator.create(options(patient_client, "add_options"))
    patient_client.post(reverse("passkeys:add"), {"name": "Clé", "credential": answer})
    Passkey.objects.all().delete()  # so only the spent challenge can refuse the replay
    _post(patient_client, answer)
    assert last_event("auth.passkey.registration.failed").data["reason"] == "challenge_missing"


def test_an_expired_challenge_is_refused(
    patient_client: Client, authenticator: SoftAuthenticator, settings: object
) -> None:
    answer = authenticator.create(options(patient_client, "add_options"))
    session = patient_client.session
    session[SESSION_KEY]["register"]["at"] = time.time() - 3600
    session.save()
    _post(patient_client, answer)
    assert last_event("auth.passkey.registration.failed").data["reason"] == "challenge_missing"


def test_the_same_authenticator_twice_is_refused(
    patient_client: Client, authenticator: SoftAuthenticator
) -> None:
    register(patient_client, authenticator)
    mark_stepped_up(patient_client)
    answer = authenticator.create(options(patient_client, "add_options"))
    response = patient_client.post(
        reverse("passkeys:add"), {"name": "Encore", "credential": answer}
    )
    assert response.status_code == 400
    assert last_event("auth.passkey.registration.failed").data["reason"] == "already_registered"


def test_a_missing_name_is_named_and_spends_nothing(
    patient_client: Client, authenticator: SoftAuthenticator
) -> None:
    answer = authenticator.create(options(patient_client, "add_options"))
    page = _post(patient_client, answer, name="  ")
    assert "Donnez un nom à cette clé d&#x27;accès." in page


def test_an_ip_address_public_url_gets_a_clear_error(
    patient_client: Client, settings: object
) -> None:
    settings.PUBLIC_URL = "http://127.0.0.1:8000"  # type: ignore[attr-defined]
    response = patient_client.post(reverse("passkeys:add_options"))
    assert response.status_code == 400
    assert "nom de domaine" in json.loads(response.content)["error"]
