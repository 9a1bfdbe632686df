"""ICE servers for the browsers' RTCPeerConnection, with ephemeral TURN credentials.

coturn's TURN REST API scheme (``use-auth-secret`` / ``static-auth-secret``): the
user name is ``<unix expiry>:<opaque user reference>`` and the password is
base64(HMAC-SHA1(shared secret, user name)). coturn recomputes the password from the
secret it shares with us, and refuses a user name whose expiry has passed, so there
is no TURN account to create or revoke and a leaked credential dies on its own.

The configuration is read once at start by settings.py (``load_ice_settings``) and
handed to a browser by ``ice_configuration`` (docs/turn.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from typing import Any

from telegarde.lib.env import ConfigError, env_choice, env_int, env_list, env_optional

STUN_SCHEMES = ("stun", "stuns")
TURN_SCHEMES = ("turn", "turns")
TRANSPORT_POLICIES = ("all", "relay")
MIN_TTL = 60
# Production shares the secret with a server on the Internet: as strong as our own keys.
MIN_PRODUCTION_SECRET_LENGTH = 32

# RFC 7064 / RFC 7065: scheme:host[:port], and ?transport=udp|tcp for TURN only.
_ICE_URL = re.compile(
    r"(?P<scheme>[a-z]+):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?"
)
# Opaque identifiers only (an external_id's hex, a participant id): coturn writes the
# user name in its logs, so an email address or a name must never end up there.
_USER_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class IceSettings:
    """What settings.py read from TELEGARDE_STUN_URLS, TELEGARDE_TURN_* and
    TELEGARDE_ICE_TRANSPORT_POLICY."""

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = field(default="", repr=False)
    turn_ttl: int = 3600
    transport_policy: str = "all"


def turn_credentials(
    secret: str, user_ref: str, *, ttl: int, now: float | None = None
) -> tuple[str, str]:
    """Return ``(username, credential)`` valid for ``ttl`` seconds from ``now``.

    ``user_ref`` must be opaque (letters, digits, ``-`` and ``_``): it travels to the
    browser and into coturn's logs.
    """
    if not _USER_REF.fullmatch(user_ref):
        raise ValueError("user_ref must be an opaque identifier ([A-Za-z0-9_-], 1 to 64)")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    expiry = int(time.time() if now is None else now) + ttl
    username = f"{expiry}:{user_ref}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_configuration(user_ref: str, ice: IceSettings | None = None) -> dict[str, Any]:
    """The JSON-able ``RTCConfiguration`` for one browser: STUN servers as they are,
    TURN servers with fresh credentials for ``user_ref``. ``ice`` defaults to
    ``settings.ICE``."""
    if ice is None:
        from django.conf import settings

        ice = settings.ICE
    servers: list[dict[str, Any]] = []
    if ice.stun_urls:
        servers.append({"urls": list(ice.stun_urls)})
    if ice.turn_urls:
        username, credential = turn_credentials(ice.turn_secret, user_ref, ttl=ice.turn_ttl)
        servers.append(
            {"urls": list(ice.turn_urls), "username": username, "credential": credential}
        )
    return {"iceServers": servers, "iceTransportPolicy": ice.transport_policy}


def check_ice_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    """Return ``url`` when it is a well-formed ICE server URL with one of ``schemes``,
    or raise ``ConfigError`` naming the variable ``name``."""
    match = _ICE_URL.fullmatch(url)
    if match is None or match["scheme"] not in schemes:
        allowed = "/".join(f"{scheme}:" for scheme in schemes)
        example = f"{schemes[0]}:{schemes[0]}.example.fr:3478"
        raise ConfigError(name, f"{url!r} is not a {allowed} URL", f"example: {example}")
    if match["transport"] is not None and match["scheme"] not in TURN_SCHEMES:
        raise ConfigError(name, f"{url!r}: only TURN URLs take ?transport=")
    if match["port"] is not None and not 1 <= int(match["port"]) <= 65535:
        raise ConfigError(name, f"{url!r}: the port is not between 1 and 65535")
    return url


def load_ice_settings(*, production: bool) -> IceSettings:
    """Read and check the ICE variables; raise ``ConfigError`` naming the first bad one."""
    stun_urls = tuple(
        check_ice_url("TELEGARDE_STUN_URLS", url, STUN_SCHEMES)
        for url in env_list("TELEGARDE_STUN_URLS")
    )
    turn_urls = tuple(
        check_ice_url("TELEGARDE_TURN_URLS", url, TURN_SCHEMES)
        for url in env_list("TELEGARDE_TURN_URLS")
    )
    secret = env_optional("TELEGARDE_TURN_SECRET") or ""
    ttl = env_int("TELEGARDE_TURN_TTL", 3600, minimum=MIN_TTL)
    policy = env_choice("TELEGARDE_ICE_TRANSPORT_POLICY", "all", TRANSPORT_POLICIES)
    if turn_urls and not secret:
        raise ConfigError(
            "TELEGARDE_TURN_SECRET",
            "must be set when TELEGARDE_TURN_URLS is",
            "give coturn's static-auth-secret (or TELEGARDE_TURN_SECRET_FILE)",
        )
    if (
        production
        and turn_urls
        and (len(secret) < MIN_PRODUCTION_SECRET_LENGTH or len(set(secret)) < 10)
    ):
        raise ConfigError(
            "TELEGARDE_TURN_SECRET",
            f"is too short or too repetitive (needs {MIN_PRODUCTION_SECRET_LENGTH}+ varied "
            "characters in production)",
            "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
        )
    if policy == "relay" and not turn_urls:
        raise ConfigError(
            "TELEGARDE_ICE_TRANSPORT_POLICY",
            "is relay but TELEGARDE_TURN_URLS is empty (no call could connect)",
            "set TELEGARDE_TURN_URLS, or use all",
        )
    return IceSettings(stun_urls, turn_urls, secret, ttl, policy)
