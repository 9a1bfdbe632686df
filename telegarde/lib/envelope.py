"""Envelope encryption of sensitive content at rest (DESIGN §4): each object gets its own
random data key (AES-256-GCM); the data key is stored wrapped under the key-encryption
key (KEK) from settings, tagged with the KEK's identifier.

Rotating the KEK therefore re-wraps the small data keys, never the content, and the
object's identity is bound as associated data so that a ciphertext copied onto another
row does not open there.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .crypto import SealError, seal, unseal

VERSION = "e1"
NONCE_BYTES = 12
_WRAP_PURPOSE = "envelope.data-key"


def key_id(kek: str) -> str:
    """A short public identifier of a key-encryption key (not a secret)."""
    return hashlib.sha256(b"telegarde-kek-id" + kek.encode()).hexdigest()[:12]


def encrypt(kek: str, context: str, plaintext: bytes) -> str:
    """Seal ``plaintext`` under a fresh data key, bound to ``context`` (e.g. "chat:<uuid>")."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(data_key).encrypt(nonce, plaintext, context.encode())
    wrapped = seal(kek, _WRAP_PURPOSE, data_key)
    return ":".join((VERSION, key_id(kek), wrapped, _b64(nonce + body)))


def decrypt(keks: Iterable[str], context: str, token: str) -> bytes:
    """Open a value sealed by ``encrypt`` with whichever of ``keks`` wrapped its data key."""
    _version, kid, wrapped, body = _split(token)
    kek = next((k for k in keks if key_id(k) == kid), None)
    if kek is None:
        raise SealError(f"no key-encryption key {kid} is configured")
    data_key = unseal(kek, _WRAP_PURPOSE, wrapped)
    raw = base64.urlsafe_b64decode(body.encode())
    try:
        return AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise SealError("cannot open: altered value or wrong context") from exc


def rewrap(keks: Iterable[str], new_kek: str, token: str) -> str:
    """The same sealed value with its data key wrapped under ``new_kek`` (key rotation)."""
    version, kid, wrapped, body = _split(token)
    if kid == key_id(new_kek):
        return token
    kek = next((k for k in keks if key_id(k) == kid), None)
    if kek is None:
        raise SealError(f"no key-encryption key {kid} is configured")
    data_key = unseal(kek, _WRAP_PURPOSE, wrapped)
    return ":".join((version, key_id(new_kek), seal(new_kek, _WRAP_PURPOSE, data_key), body))


def wrapped_with(token: str) -> str:
    """The identifier of the KEK that wraps ``token``'s data key."""
    return _split(token)[1]


def _split(token: str) -> tuple[str, str, str, str]:
    parts = token.split(":")
    # The wrapped key is itself "v1:<base64>", so a well-formed token has five parts.
    if len(parts) != 5 or parts[0] != VERSION:
        raise SealError("not an envelope-sealed value")
    return parts[0], parts[1], f"{parts[2]}:{parts[3]}", parts[4]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()
