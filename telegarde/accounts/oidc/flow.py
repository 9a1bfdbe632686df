"""The authorization-code flow with PKCE, state and nonce, held in the session.

Each sign-in started in this browser keeps its state, nonce and PKCE verifier in the
session, keyed by the state; the callback takes it out (single use) and it expires after
``FLOW_SECONDS``. A few may be pending at once, so two tabs do not spoil each other.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from . import provider, tokens
from .config import OidcSettings
from .provider import OidcFailure

PENDING_KEY = "telegarde.oidc.pending"
FLOW_SECONDS = 600
MAX_PENDING = 5
PROVIDER_ERROR = re.compile(r"^[\x20-\x7e]{1,64}$")


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    issuer: str
    subject: str
    rpps: str
    next_url: str


def redirect_uri() -> str:
    """The callback address registered with the provider: the public URL, never the Host."""
    return f"{settings.PUBLIC_URL}{reverse('oidc:callback')}"


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin(request: HttpRequest, config: OidcSettings, *, next_url: str) -> str:
    """Remember a new sign-in attempt; returns the provider's authorization URL."""
    meta = provider.metadata(config)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = time.time()
    pending = {
        key: value
        for key, value in _pending(request).items()
        if now - float(value.get("at", 0)) <= FLOW_SECONDS
    }
    for oldest in sorted(pending, key=lambda key: float(pending[key]["at"]))[: -MAX_PENDING + 1]:
        del pending[oldest]
    pending[state] = {"nonce": nonce, "verifier": verifier, "at": now, "next": next_url}
    request.session[PENDING_KEY] = pending
    return provider.authorization_url(
        config,
        meta,
        redirect_uri=redirect_uri(),
        state=state,
        nonce=nonce,
        code_challenge=_pkce_challenge(verifier),
    )


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY)
    return dict(pending) if isinstance(pending, dict) else {}


def _take(request: HttpRequest, state: str) -> dict[str, Any]:
    """The attempt ``state`` names, removed from the session whatever happens next."""
    pending = _pending(request)
    attempt = pending.pop(state, None) if state else None
    request.session[PENDING_KEY] = pending
    request.session.save()  # a replayed callback must find nothing, even if this one fails
    if not isinstance(attempt, dict):
        raise OidcFailure("state_mismatch", "no sign-in in progress with this state")
    if time.time() - float(attempt.get("at", 0)) > FLOW_SECONDS:
        raise OidcFailure("state_expired", "the sign-in took too long")
    return attempt


def finish(request: HttpRequest, config: OidcSettings, params: Mapping[str, str]) -> Identity:
    """Check the provider's answer and return the verified identity with its RPPS."""
    attempt = _take(request, params.get("state", ""))
    error = params.get("error", "")
    if error:
        code = error if PROVIDER_ERROR.match(error) else "invalid"
        reason = "provider_denied" if code == "access_denied" else "provider_error"
        raise OidcFailure(reason, "the provider answered with an error", provider_error=code)
    code = params.get("code", "")
    if not code:
        raise OidcFailure("provider_error", "the provider's answer has no code")
    meta = provider.metadata(config)
    answer = provider.exchange_code(
        config, meta, code=code, code_verifier=attempt["verifier"], redirect_uri=redirect_uri()
    )
    claims = tokens.verified_claims(
        answer["id_token"],
        keys=lambda refresh: provider.signing_keys(config, meta, refresh=refresh),
        issuer=meta.issuer,
        client_id=config.client_id,
        nonce=str(attempt["nonce"]),
        now=time.time(),
    )
    userinfo = provider.fetch_userinfo(config, meta, answer["access_token"])
    # Core §5.3.2: user info about someone else than the ID token's subject is not used.
    if userinfo.get("sub") != claims["sub"]:
        raise OidcFailure("subject_mismatch", "the user info is about another subject")
    rpps = rpps_from(userinfo, config.rpps_claim)
    return Identity(
        issuer=meta.issuer, subject=str(claims["sub"]), rpps=rpps, next_url=str(attempt["next"])
    )


def claim_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``: a claim name, or dotted names and list indexes into it."""
    if path in document:
        return document[path]
    value: Any = document
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def rpps_from(userinfo: Mapping[str, Any], claim: str) -> str:
    """The 11-digit RPPS number in the configured claim.

    Pro Santé Connect's SubjectNameID is the national identifier of the professional:
    the RPPS number preceded by its type, "8"; a bare 11-digit number is taken as is.
    """
    value = claim_at(userinfo, claim)
    text = str(value).strip() if isinstance(value, str | int) else ""
    if len(text) == 12 and text.startswith("8"):
        text = text[1:]
    if len(text) != 11 or not text.isdigit():
        raise OidcFailure("missing_rpps", "the user info has no RPPS number in the claim")
    return text
