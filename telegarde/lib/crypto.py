"""Sealing small secrets at rest (TOTP seeds, later message keys) with AES-256-GCM.

The key-encryption key comes from ``settings.DATA_KEY``; each purpose gets its own key
derived with HKDF, and the purpose is bound as associated data, so a value sealed for
one use cannot be opened as another.
"""

from __future__ import annotations

import base64
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12


class SealError(Exception):
    """The sealed value is malformed, or was sealed with another key or purpose."""


@cache
def _key(master: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"telegarde-seal", info=purpose.encode()
    ).derive(master.encode())


def seal(master: str, purpose: str, plaintext: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(master, purpose)).encrypt(nonce, plaintext, purpose.encode())
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(master: str, purpose: str, token: str) -> bytes:
    version, _, payload = token.partition(":")
    if version != VERSION:
        raise SealError(f"unknown seal version {version!r}")
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
        return AESGCM(_key(master, purpose)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()
        )
    except (ValueError, InvalidTag) as exc:
        raise SealError("cannot open: wrong key, wrong purpose or altered value") from exc
