"""The login page offers the provider's button only when one is configured."""

from __future__ import annotations

from typing import Any

from django.test import Client

from .provider import Provider


def test_it_shows_the_button_when_configured(client: Client, db: Any, oidc: Provider) -> None:
    page = client.get("/comptes/connexion/", {"next": "/accueil/"}).content.decode()
    assert "Se connecter avec Pro Santé Connect" in page
    assert 'href="/comptes/psc/connexion/?next=/accueil/"' in page


def test_it_hides_the_button_otherwise(client: Client, db: Any, settings: Any) -> None:
    settings.OIDC_ISSUER = None
    page = client.get("/comptes/connexion/").content.decode()
    assert "Pro Santé Connect" not in page
