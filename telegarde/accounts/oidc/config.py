"""The provider this installation signs practitioners in with, read from settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    rpps_claim: str
    scopes: tuple[str, ...]
    display_name: str
    timeout: float


def oidc_settings() -> OidcSettings | None:
    """The configuration, or None when OpenID Connect sign-in is off (no issuer)."""
    issuer = getattr(settings, "OIDC_ISSUER", None)
    if not issuer:
        return None
    return OidcSettings(
        issuer=str(issuer),
        client_id=str(settings.OIDC_CLIENT_ID),
        client_secret=str(settings.OIDC_CLIENT_SECRET),
        rpps_claim=str(settings.OIDC_RPPS_CLAIM),
        scopes=tuple(settings.OIDC_SCOPES),
        display_name=str(settings.OIDC_DISPLAY_NAME),
        timeout=float(settings.OIDC_TIMEOUT),
    )
