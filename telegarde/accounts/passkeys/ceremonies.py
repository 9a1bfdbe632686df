"""The two WebAuthn ceremonies (create, get) checked with py_webauthn.

The relying party is ``settings.PUBLIC_URL``: its host is the RP ID and its scheme, host
and port the only accepted origin, so a credential cannot be exercised from a lookalike
site. Challenges live in the session, one per purpose, and are consumed by the first
answer — right or wrong — and refused once ``PASSKEY_CHALLENGE_SECONDS`` have passed.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from telegarde.accounts.models import User

from .access import passkeys_for
from .models import Passkey

SESSION_KEY = "telegarde.passkeys.challenges"
PURPOSES = ("register", "login", "second_factor", "step_up")
# A browser never sends more than a few kilobytes; anything larger is refused unread.
MAX_RESPONSE_CHARS = 32 * 1024
RP_NAME = "Telegarde"

MESSAGES: dict[str, str | Promise] = {
    "malformed": _("La réponse de la clé d'accès est illisible. Recommencez."),
    "challenge_missing": _("Cette demande a expiré ou a déjà servi. Recommencez depuis le bouton."),
    "challenge_mismatch": _("La réponse ne correspond pas à la demande en cours. Recommencez."),
    "origin": _(
        "Cette réponse ne vient pas de l'adresse officielle de la plateforme. "
        "Vérifiez l'adresse de la page avant d'utiliser votre clé d'accès."
    ),
    "type": _("La réponse n'est pas celle attendue pour cette étape."),
    "unknown_passkey": _("Cette clé d'accès n'est pas reconnue."),
    "user_verification": _(
        "Votre appareil n'a pas vérifié votre identité (code, empreinte ou visage). Recommencez."
    ),
    "cloned_authenticator": _(
        "Cette clé d'accès semble avoir été copiée : elle est refusée. "
        "Prévenez votre établissement."
    ),
    "already_registered": _("Cette clé d'accès est déjà enregistrée."),
    "invalid": _("La clé d'accès n'a pas pu être vérifiée."),
    "rp_unusable": _(
        "Les clés d'accès demandent que la plateforme soit servie sous un nom de domaine "
        "(pas une adresse IP). Prévenez votre administrateur."
    ),
}


class PasskeyRejected(Exception):
    """A ceremony failed: ``reason`` goes to the event log, ``message`` to the person."""

    def __init__(self, reason: str, *, passkey: Passkey | None = None) -> None:
        self.reason = reason
        self.passkey = passkey
        self.message = MESSAGES[reason]
        super().__init__(reason)


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origin: str


def relying_party() -> RelyingParty:
    """RP ID and origin from ``PUBLIC_URL`` (default ports left out, as browsers do)."""
    parts = urlsplit(str(settings.PUBLIC_URL))
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return RelyingParty(rp_id=host, origin=f"{parts.scheme}://{netloc}")


def rp_is_usable() -> bool:
    """Browsers refuse an IP address as RP ID (the default public URL is one)."""
    try:
        ipaddress.ip_address(relying_party().rp_id.strip("[]"))
    except ValueError:
        return True
    return False


def _check_rp_usable() -> None:
    if not rp_is_usable():
        raise PasskeyRejected("rp_unusable")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=_b64_decode(p.credential_id))
        for p in passkeys_for(user).only("credential_id")
    ]


def _store_challenge(
    request: HttpRequest, purpose: str, challenge: bytes, user: User | None
) -> None:
    challenges: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
    challenges[purpose] = {
        "challenge": b64url(challenge),
        "at": time.time(),
        "user": str(user.external_id) if user is not None else "",
    }
    request.session[SESSION_KEY] = challenges


def _take_challenge(request: HttpRequest, purpose: str, user: User | None) -> bytes:
    """The pending challenge for ``purpose``, removed from the session: usable once."""
    challenges: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
    entry = challenges.pop(purpose, None)
    request.session[SESSION_KEY] = challenges
    if not isinstance(entry, dict):
        raise PasskeyRejected("challenge_missing")
    expired = time.time() - float(entry.get("at", 0)) > settings.PASSKEY_CHALLENGE_SECONDS
    owner = str(user.external_id) if user is not None else ""
    if expired or entry.get("user") != owner:
        raise PasskeyRejected("challenge_missing")
    return _b64_decode(str(entry["challenge"]))


def registration_options(request: HttpRequest, user: User) -> str:
    """Options for ``navigator.credentials.create()``, as JSON; the challenge is kept."""
    rp = relying_party()
    _check_rp_usable()
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=user.external_id.bytes,
        user_display_name=user.display_name,
        challenge=secrets.token_bytes(32),
        timeout=settings.PASSKEY_CHALLENGE_SECONDS * 1000,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )
    _store_challenge(request, "register", options.challenge, user)
    return options_to_json(options)


def authentication_options(request: HttpRequest, purpose: str, user: User | None) -> str:
    """Options for ``navigator.credentials.get()``; without a user, any discoverable passkey."""
    rp = relying_party()
    _check_rp_usable()
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=secrets.token_bytes(32),
        timeout=settings.PASSKEY_CHALLENGE_SECONDS * 1000,
        allow_credentials=_descriptors(user) if user is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _store_challenge(request, purpose, options.challenge, user)
    return options_to_json(options)


def _parse[C: (RegistrationCredential, AuthenticationCredential)](
    raw: str, parser: Callable[[str], C], expected_type: str, challenge: bytes
) -> C:
    """Parse the browser's JSON and check what comes before any cryptography."""
    if not raw or len(raw) > MAX_RESPONSE_CHARS:
        raise PasskeyRejected("malformed")
    try:
        json.loads(raw)
        credential = parser(raw)
        client_data = parse_client_data_json(credential.response.client_data_json)
    except Exception as exc:  # the parsers raise several unrelated types on bad input
        raise PasskeyRejected("malformed") from exc
    if client_data.type != expected_type:
        raise PasskeyRejected("type")
    if not secrets.compare_digest(client_data.challenge, challenge):
        raise PasskeyRejected("challenge_mismatch")
    if client_data.origin != relying_party().origin or client_data.cross_origin:
        raise PasskeyRejected("origin")
    return credential


def _library_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "user verification" in text:
        return "user_verification"
    return "invalid"


@dataclass(frozen=True)
class Registration:
    verified: VerifiedRegistration
    transports: list[str]


def verify_registration(request: HttpRequest, raw: str, user: User) -> Registration:
    """Check an attestation against the stored challenge; raises ``PasskeyRejected``."""
    challenge = _take_challenge(request, "register", user)
    credential = _parse(raw, parse_registration_credential_json, "webauthn.create", challenge)
    if Passkey.objects.filter(credential_id=credential.id).exists():
        raise PasskeyRejected("already_registered")
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except Exception as exc:  # malformed CBOR or keys surface as assorted exception types
        raise PasskeyRejected(_library_reason(exc)) from exc
    transports = [str(t.value) for t in credential.response.transports or []]
    return Registration(verified=verified, transports=transports)


@dataclass(frozen=True)
class Assertion:
    passkey: Passkey
    new_sign_count: int


def verify_assertion(
    request: HttpRequest, raw: str, *, purpose: str, user: User | None
) -> Assertion:
    """Check an assertion for ``purpose``; ``user`` is who must own the passkey, if known.

    The sign counter is compared by the action that records the use, atomically.
    """
    challenge = _take_challenge(request, purpose, user)
    credential = _parse(raw, parse_authentication_credential_json, "webauthn.get", challenge)
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential.id).first()
    if passkey is None or not passkey.user.is_active:
        raise PasskeyRejected("unknown_passkey")
    # Someone else's passkey answers exactly like an unknown one.
    if user is not None and passkey.user_id != user.pk:
        raise PasskeyRejected("unknown_passkey")
    handle = credential.response.user_handle
    if handle and handle != passkey.user.external_id.bytes:
        raise PasskeyRejected("invalid", passkey=passkey)
    rp = relying_party()
    try:
        verified: VerifiedAuthentication = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=bytes(passkey.public_key),
            # The counter is checked by ``do_use_passkey`` with a conditional update.
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except Exception as exc:  # malformed CBOR or keys surface as assorted exception types
        raise PasskeyRejected(_library_reason(exc), passkey=passkey) from exc
    return Assertion(passkey=passkey, new_sign_count=verified.new_sign_count)


OptionsBuilder = Callable[[], str]
