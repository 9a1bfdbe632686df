"""Starting a sign-in: a redirect to the provider with PKCE, state and nonce."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from telegarde.conftest import free_port, last_event

from .provider import CLIENT_ID, Provider


def test_it_redirects_to_the_provider_with_pkce_state_and_nonce(
    client: Client, db: Any, oidc: Provider
) -> None:
    response = client.get("/comptes/psc/connexion/", {"next": "https://ailleurs.example/"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oidc.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://127.0.0.1:8000/comptes/psc/retour/"
    assert query["scope"] == "openid scope_all"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    attempt = client.session["telegarde.oidc.pending"][query["state"]]
    assert attempt["nonce"] == query["nonce"]
    assert attempt["next"] == "/accueil/"  # an off-site next is not followed


def test_it_keeps_a_few_attempts_at_most(client: Client, db: Any, oidc: Provider) -> None:
    for _ in range(8):
        client.get("/comptes/psc/connexion/")
    assert len(client.session["telegarde.oidc.pending"]) == 5


def test_it_says_when_the_provider_cannot_be_reached(
    client: Client, db: Any, oidc: Provider, settings: Any
) -> None:
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/realm"
    response = client.get("/comptes/psc/connexion/")
    assert response.status_code == 502
    assert "ne répond pas correctement pour le moment" in response.content.decode()
    assert last_event("auth.oidc.login.failed").data["reason"] == "provider_unreachable"


def test_it_refuses_a_discovery_document_for_another_issuer(
    client: Client, db: Any, oidc: Provider, settings: Any
) -> None:
    settings.OIDC_ISSUER = f"{oidc.issuer}/"  # the document names the issuer without "/"
    assert client.get("/comptes/psc/connexion/").status_code == 502
    assert last_event("auth.oidc.login.failed").data["reason"] == "provider_error"


def test_it_is_not_there_when_not_configured(client: Client, db: Any, settings: Any) -> None:
    settings.OIDC_ISSUER = None
    assert client.get("/comptes/psc/connexion/").status_code == 404
    assert client.get("/comptes/psc/retour/?state=x&code=y").status_code == 404
