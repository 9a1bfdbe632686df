"""ID token validation (OpenID Connect Core §3.1.3.7), one reason per way it can fail."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import Key, KeySet

from .provider import OidcFailure

# Asymmetric only: HS256 keyed with the client secret would let anyone holding the secret
# mint tokens, and "none" is no signature at all.
ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}
LEEWAY_SECONDS = 60
# An ID token is used at once; an older one is a replay, whatever its exp says.
MAX_AGE_SECONDS = 600


def _header(raw: str) -> dict[str, Any]:
    try:
        encoded = raw.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, IndexError):
        raise OidcFailure("malformed_token", "the ID token header cannot be read") from None
    if not isinstance(header, dict) or raw.count(".") != 2:
        raise OidcFailure("malformed_token", "the ID token is not a signed JWT")
    return header


def _key(keys: KeySet, kid: object, kty: str) -> Key | None:
    candidates = [
        key for key in keys if key.key_type == kty and (not isinstance(kid, str) or key.kid == kid)
    ]
    if isinstance(kid, str):
        return candidates[0] if candidates else None
    # No kid: only unambiguous when the provider publishes one key of that type.
    return candidates[0] if len(candidates) == 1 else None


def verified_claims(
    raw: str,
    *,
    keys: Callable[[bool], KeySet],
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
) -> dict[str, Any]:
    """The claims of ``raw`` once its signature, issuer, audience, times and nonce hold.

    ``keys(refresh)`` gives the provider's key set; it is fetched again once when the
    token names a key we do not have (the provider rotated its keys).
    """
    header = _header(raw)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise OidcFailure("bad_signature", f"algorithm {str(alg)[:16]!r} is not accepted")
    kty = ALGORITHMS[str(alg)]
    key = _key(keys(False), header.get("kid"), kty) or _key(keys(True), header.get("kid"), kty)
    if key is None:
        raise OidcFailure("bad_signature", "no published key matches the ID token")
    try:
        claims = jwt.decode(raw, key, algorithms=[str(alg)]).claims
    except (BadSignatureError, InvalidKeyIdError):
        raise OidcFailure("bad_signature", "the ID token signature does not verify") from None
    except (JoseError, ValueError):
        raise OidcFailure("malformed_token", "the ID token cannot be decoded") from None
    _check_claims(claims, issuer=issuer, client_id=client_id, nonce=nonce, now=now)
    return claims


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OidcFailure("malformed_token", f"the ID token has no numeric {name}")
    return float(value)


def _check_claims(
    claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str, now: float
) -> None:
    if claims.get("iss") != issuer:
        raise OidcFailure("wrong_issuer", "the ID token was issued by another provider")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise OidcFailure("wrong_audience", "the ID token was issued for another client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcFailure("wrong_audience", "the ID token's authorized party is another client")
    expires, issued = _number(claims, "exp"), _number(claims, "iat")
    if expires < now - LEEWAY_SECONDS or issued < now - MAX_AGE_SECONDS - LEEWAY_SECONDS:
        raise OidcFailure("expired", "the ID token has expired")
    if issued > now + LEEWAY_SECONDS:
        raise OidcFailure("not_yet_valid", "the ID token was issued in the future")
    if "nbf" in claims and _number(claims, "nbf") > now + LEEWAY_SECONDS:
        raise OidcFailure("not_yet_valid", "the ID token is not valid yet")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce, nonce):
        raise OidcFailure("nonce_mismatch", "the ID token answers another sign-in")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise OidcFailure("malformed_token", "the ID token has no valid subject")
