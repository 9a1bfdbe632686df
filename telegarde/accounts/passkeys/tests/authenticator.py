"""A software WebAuthn authenticator (P-256, "none" attestation) for server-side tests.

It builds exactly what a browser posts, and lets a test bend one thing at a time: the
origin, the ceremony type, the challenge, the user-verification flag, the counter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    rp_id: str
    origin: str
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    # EC P-256 for keys made here; Ed25519 too, which Chromium's virtual authenticator picks.
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0
    user_handle: bytes = b""

    @classmethod
    def from_private_key(
        cls, rp_id: str, origin: str, credential_id: bytes, pkcs8: bytes
    ) -> SoftAuthenticator:
        key = serialization.load_der_private_key(pkcs8, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey)
        return cls(rp_id=rp_id, origin=origin, credential_id=credential_id, key=key)

    def _cose_key(self) -> bytes:
        assert isinstance(self.key, ec.EllipticCurvePrivateKey)
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        kind: str = "webauthn.create",
        challenge: str | None = None,
        verified: bool = True,
    ) -> str:
        """What ``navigator.credentials.create()`` would answer, serialised as the page does."""
        self.user_handle = unb64(options["user"]["id"])
        flags = UP | AT | (UV if verified else 0)
        attested = (
            bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        auth_data = self._auth_data(flags, self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(kind, challenge or options["challenge"], origin)
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "attestationObject": b64(attestation),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
            }
        )

    def _auth_data(self, flags: int, count: int, rp_id: str | None = None) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", count)

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        kind: str = "webauthn.get",
        challenge: str | None = None,
        verified: bool = True,
        count: int | None = None,
        bad_signature: bool = False,
    ) -> str:
        """What ``navigator.credentials.get()`` would answer; each call bumps the counter."""
        if count is None:
            self.sign_count += 1
            count = self.sign_count
        auth_data = self._auth_data(UP | (UV if verified else 0), count, rp_id)
        client_data = self._client_data(kind, challenge or options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        to_sign = signed + (b"x" if bad_signature else b"")
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            signature = self.key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
        else:
            signature = self.key.sign(to_sign)
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "authenticatorData": b64(auth_data),
                    "signature": b64(signature),
                    "userHandle": b64(self.user_handle) if self.user_handle else None,
                },
                "clientExtensionResults": {},
            }
        )
