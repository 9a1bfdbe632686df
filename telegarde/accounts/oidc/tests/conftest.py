"""The local OpenID Connect provider, started once per test session, and a helper that
walks a browser's path through it."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from telegarde.accounts.oidc import provider as client_side

from .provider import CLIENT_ID, CLIENT_SECRET, Provider

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


@pytest.fixture(scope="session")
def provider_server() -> Iterator[Provider]:
    server = Provider()
    yield server
    server.stop()


@pytest.fixture
def oidc(provider_server: Provider, settings: Any) -> Iterator[Provider]:
    """OpenID Connect sign-in configured against the local provider, behaving well."""
    provider_server.reset()
    settings.OIDC_ISSUER = provider_server.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RPPS_CLAIM = "SubjectNameID"
    settings.OIDC_SCOPES = ["openid", "scope_all"]
    settings.OIDC_DISPLAY_NAME = "Pro Santé Connect"
    settings.OIDC_TIMEOUT = 1
    client_side.clear_caches()
    yield provider_server
    client_side.clear_caches()


def visit_provider(authorize_url: str) -> str:
    """GET the provider's authorize URL as a browser would; returns where it redirects."""
    parts = urlsplit(authorize_url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        answer = connection.getresponse()
        assert answer.status == 302, answer.read()
        return str(answer.getheader("Location"))
    finally:
        connection.close()


def callback_path(location: str) -> str:
    """The provider sends the browser to PUBLIC_URL's callback; the test client takes the
    path and query (it is the same application)."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def sign_in_through_provider(client: Client, next_url: str = "") -> Response:
    start = client.get("/comptes/psc/connexion/", {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content
    return client.get(callback_path(visit_provider(start["Location"])))
