"""The provider's answer: a practitioner signs in, and every way it can go wrong is
refused with a clear message and an event, never a 500."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event, rpps
from telegarde.core.models import SecurityEvent

from .conftest import callback_path, sign_in_through_provider, visit_provider
from .provider import Provider


def practitioner_rpps(personas: Personas) -> str:
    return str(personas.practitioner.practitioner.rpps)


def signed_in_user(client: Client) -> Any:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("signing", ["rsa", "ec"])
def test_it_signs_the_practitioner_in_without_a_second_factor(
    client: Client, personas: Personas, oidc: Provider, signing: str
) -> None:
    oidc.behaviour.signing = signing
    oidc.behaviour.rpps = practitioner_rpps(personas)
    response = sign_in_through_provider(client, next_url="/accueil/?onglet=agenda")
    assert response.status_code == 302
    assert response["Location"] == "/accueil/?onglet=agenda"
    assert signed_in_user(client) == str(personas.practitioner.pk)
    assert client.session["telegarde.auth_method"] == "oidc"
    assert client.get("/accueil/").status_code == 200
    succeeded = last_event("auth.oidc.login.succeeded")
    assert succeeded.actor_id == str(personas.practitioner.external_id)
    assert succeeded.data["issuer"] == oidc.issuer
    assert last_event("auth.login.succeeded").data == {"method": "oidc"}
    assert response.cookies["telegarde_device"].value  # the browser is remembered


def test_it_records_no_code_and_no_token(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    start = client.get("/comptes/psc/connexion/")
    location = visit_provider(start["Location"])
    code = parse_qs(urlsplit(location).query)["code"][0]
    client.get(callback_path(location))
    access = next(key for key in oidc.grants if key.startswith("access:")).removeprefix("access:")
    logged = json.dumps([e.data for e in SecurityEvent.objects.all()])
    assert code not in logged and access not in logged


def test_it_accepts_a_plain_rpps_in_a_configured_claim(
    client: Client, personas: Personas, oidc: Provider, settings: Any
) -> None:
    settings.OIDC_RPPS_CLAIM = "preferred_username"
    oidc.behaviour.rpps, oidc.behaviour.rpps_format = practitioner_rpps(personas), "plain"
    assert sign_in_through_provider(client).status_code == 302
    assert signed_in_user(client) == str(personas.practitioner.pk)


def refused(client: Client, reason: str) -> SecurityEvent:
    event = last_event("auth.oidc.login.failed")
    assert event.data["reason"] == reason
    assert event.outcome == "failure"
    assert signed_in_user(client) is None
    return event


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"claims": {"nonce": "une-autre-connexion"}}, "nonce_mismatch"),
        ({"signing": "impostor"}, "bad_signature"),
        ({"signing": "unknown_kid"}, "bad_signature"),
        ({"claims": {"aud": "un-autre-service"}}, "wrong_audience"),
        ({"claims": {"aud": ["telegarde-tests", "autre"], "azp": "autre"}}, "wrong_audience"),
        ({"claims": {"iss": "https://imposteur.example"}}, "wrong_issuer"),
        ({"claims": {"exp": int(time.time()) - 3600}}, "expired"),
        ({"claims": {"iat": int(time.time()) + 3600}}, "not_yet_valid"),
        ({"userinfo_sub": "quelqu-un-d-autre"}, "subject_mismatch"),
    ],
)
def test_it_refuses_an_id_token_that_does_not_verify(
    client: Client, personas: Personas, oidc: Provider, setup: dict[str, Any], reason: str
) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    for name, value in setup.items():
        setattr(oidc.behaviour, name, value)
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "n&#x27;a pas pu être vérifiée" in response.content.decode()
    refused(client, reason)


def test_it_refuses_a_tampered_state_before_calling_the_provider(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    start = client.get("/comptes/psc/connexion/")
    query = parse_qs(urlsplit(visit_provider(start["Location"])).query)
    forged = urlencode({"code": query["code"][0], "state": query["state"][0] + "x"})
    response = client.get(f"/comptes/psc/retour/?{forged}")
    assert response.status_code == 400
    assert "expiré ou a été ouverte dans un autre navigateur" in response.content.decode()
    refused(client, "state_mismatch")
    assert oidc.token_requests == 0


def test_it_refuses_a_replayed_answer(client: Client, personas: Personas, oidc: Provider) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    start = client.get("/comptes/psc/connexion/")
    path = callback_path(visit_provider(start["Location"]))
    assert client.get(path).status_code == 302
    client.post("/comptes/deconnexion/")
    assert client.get(path).status_code == 400
    refused(client, "state_mismatch")


def test_it_refuses_an_attempt_that_took_too_long(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    start = client.get("/comptes/psc/connexion/")
    path = callback_path(visit_provider(start["Location"]))
    session = client.session
    for attempt in session["telegarde.oidc.pending"].values():
        attempt["at"] -= 3600
    session.save()
    assert client.get(path).status_code == 400
    refused(client, "state_expired")


def test_it_refuses_an_unknown_rpps_without_creating_an_account(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    oidc.behaviour.rpps = rpps("2000000002")
    users = User.objects.count()
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "Aucun compte Telegarde n&#x27;est rattaché à votre numéro RPPS" in (
        response.content.decode()
    )
    assert refused(client, "unknown_rpps").data["rpps"] == rpps("2000000002")
    assert User.objects.count() == users


def test_it_refuses_a_user_info_without_rpps(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "n&#x27;a pas transmis de numéro RPPS" in response.content.decode()
    refused(client, "missing_rpps")


def test_it_refuses_an_inactive_account(client: Client, personas: Personas, oidc: Provider) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    User.objects.filter(pk=personas.practitioner.pk).update(is_active=False)
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "Ce compte est désactivé" in response.content.decode()
    assert refused(client, "inactive_user").target_id == str(personas.practitioner.external_id)


def test_it_says_when_the_practitioner_cancelled(
    client: Client, personas: Personas, oidc: Provider
) -> None:
    oidc.behaviour.authorize_error = "access_denied"
    response = sign_in_through_provider(client)
    assert response.status_code == 400
    assert "La connexion avec Pro Santé Connect a été annulée" in response.content.decode()
    assert refused(client, "provider_denied").data["provider_error"] == "access_denied"


@pytest.mark.parametrize(
    ("path", "mode", "reason"),
    [
        ("/token", "500", "provider_error"),
        ("/token", "hang", "provider_unreachable"),
        ("/userinfo", "500", "provider_error"),
        ("/jwks", "hang", "provider_unreachable"),
    ],
)
def test_it_survives_a_failing_provider(
    client: Client, personas: Personas, oidc: Provider, path: str, mode: str, reason: str
) -> None:
    oidc.behaviour.rpps = practitioner_rpps(personas)
    oidc.behaviour.fail = {path: mode}
    began = time.monotonic()
    response = sign_in_through_provider(client)
    assert time.monotonic() - began < 2.5  # the 1-second timeout, not the 3-second hang
    assert response.status_code == 502
    assert "ne répond pas correctement pour le moment" in response.content.decode()
    refused(client, reason)
