"""Talking to the OpenID Connect provider: discovery, signing keys, token and user info.

Every call has a timeout and a size limit, follows no redirect, and turns any problem
into an ``OidcFailure`` with a reason; nothing here ever logs a code or a token.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .config import OidcSettings

MAX_RESPONSE_BYTES = 512 * 1024
METADATA_SECONDS = 3600
KEYS_SECONDS = 3600


class OidcFailure(Exception):
    """A sign-in through the provider cannot go on; ``reason`` is recorded in the event."""

    def __init__(self, reason: str, detail: str = "", *, provider_error: str = "") -> None:
        self.reason = reason
        self.detail = detail
        self.provider_error = provider_error
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the error it is here


_opener = urllib.request.build_opener(_NoRedirect)


def _call(
    url: str,
    *,
    timeout: float,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One JSON request; the reason says whether the provider was unreachable or wrong."""
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by _checked_url
        url, data=body, headers={"Accept": "application/json", **(headers or {})}
    )
    where = urlsplit(url).path or "/"
    try:
        with _opener.open(request, timeout=timeout) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        code = _error_code(exc)
        raise OidcFailure(
            "provider_error", f"HTTP {exc.code} from {where}", provider_error=code
        ) from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise OidcFailure("provider_unreachable", f"{where}: {type(exc).__name__}") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise OidcFailure("provider_error", f"oversized answer from {where}")
    try:
        document = json.loads(raw)
    except ValueError:
        raise OidcFailure("provider_error", f"answer from {where} is not JSON") from None
    if not isinstance(document, dict):
        raise OidcFailure("provider_error", f"answer from {where} is not a JSON object")
    return document


def _error_code(exc: urllib.error.HTTPError) -> str:
    """The OAuth ``error`` code of an error answer (e.g. invalid_grant), if it has one."""
    try:
        document = json.loads(exc.read(4096))
    except (ValueError, OSError):
        return ""
    code = document.get("error") if isinstance(document, dict) else None
    return str(code)[:64] if isinstance(code, str) else ""


def _checked_url(document: dict[str, Any], name: str, issuer: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise OidcFailure("provider_error", f"discovery document has no valid {name}")
    if issuer.startswith("https://") and not value.startswith("https://"):
        raise OidcFailure("provider_error", f"{name} is not HTTPS while the issuer is")
    return value


_lock = threading.Lock()
_metadata: dict[str, tuple[float, ProviderMetadata]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}


def clear_caches() -> None:
    """Forget discovered metadata and keys (after a provider's configuration changed)."""
    with _lock:
        _metadata.clear()
        _keys.clear()


def metadata(config: OidcSettings) -> ProviderMetadata:
    """The provider's endpoints from ``<issuer>/.well-known/openid-configuration``."""
    now = time.monotonic()
    with _lock:
        cached = _metadata.get(config.issuer)
    if cached is not None and now - cached[0] < METADATA_SECONDS:
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _call(url, timeout=config.timeout)
    # OpenID Connect Discovery §4.3: the document must name exactly the issuer asked for.
    if document.get("issuer") != config.issuer:
        raise OidcFailure("provider_error", "discovery document names another issuer")
    found = ProviderMetadata(
        issuer=config.issuer,
        authorization_endpoint=_checked_url(document, "authorization_endpoint", config.issuer),
        token_endpoint=_checked_url(document, "token_endpoint", config.issuer),
        userinfo_endpoint=_checked_url(document, "userinfo_endpoint", config.issuer),
        jwks_uri=_checked_url(document, "jwks_uri", config.issuer),
    )
    with _lock:
        _metadata[config.issuer] = (now, found)
    return found


def signing_keys(config: OidcSettings, meta: ProviderMetadata, *, refresh: bool) -> KeySet:
    """The provider's published keys; ``refresh`` fetches them again (key rotation)."""
    now = time.monotonic()
    with _lock:
        cached = _keys.get(meta.jwks_uri)
    if cached is not None and not refresh and now - cached[0] < KEYS_SECONDS:
        return cached[1]
    document = _call(meta.jwks_uri, timeout=config.timeout)
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise OidcFailure("provider_error", "the key set has no keys")
    # Keys of types or uses we cannot verify with are skipped, not fatal.
    usable = [
        key
        for key in keys
        if isinstance(key, dict) and key.get("kty") in {"RSA", "EC"} and key.get("use") != "enc"
    ]
    try:
        key_set = KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError):
        raise OidcFailure("provider_error", "the key set cannot be read") from None
    with _lock:
        _keys[meta.jwks_uri] = (now, key_set)
    return key_set


def authorization_url(
    config: OidcSettings,
    meta: ProviderMetadata,
    *,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_challenge: str,
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(config.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    joiner = "&" if urlsplit(meta.authorization_endpoint).query else "?"
    return f"{meta.authorization_endpoint}{joiner}{query}"


def _basic_auth(config: OidcSettings) -> str:
    # RFC 6749 §2.3.1: both parts are form-encoded before the Basic encoding.
    pair = f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def exchange_code(
    config: OidcSettings,
    meta: ProviderMetadata,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> dict[str, Any]:
    """The token endpoint's answer to the authorization code (client_secret_basic)."""
    answer = _call(
        meta.token_endpoint,
        timeout=config.timeout,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        headers={"Authorization": _basic_auth(config)},
    )
    for field in ("id_token", "access_token"):
        if not isinstance(answer.get(field), str) or not answer[field]:
            raise OidcFailure("provider_error", f"the token answer has no {field}")
    if str(answer.get("token_type", "")).lower() != "bearer":
        raise OidcFailure("provider_error", "the token answer is not a bearer token")
    return answer


def fetch_userinfo(config: OidcSettings, meta: ProviderMetadata, access: str) -> dict[str, Any]:
    return _call(
        meta.userinfo_endpoint,
        timeout=config.timeout,
        headers={"Authorization": f"Bearer {access}"},
    )
