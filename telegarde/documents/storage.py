"""Encrypted files at rest: each document has its own 256-bit data key (AES-256-GCM).

The data key is envelope-sealed under settings.DATA_KEY and kept on the row
(``Document.data_key``), so rotating the key-encryption key re-wraps that small token and
never touches the files. Each file is bound to its document and purpose (associated
data), so a file copied over another one does not open. Files live on the local
filesystem under settings.DOCUMENTS_DIR, written atomically and readable by the owner only.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from telegarde.core.vault import keks
from telegarde.lib import envelope
from telegarde.lib.crypto import SealError

MAGIC = b"TGD1"
NONCE_BYTES = 12
ORIGINAL = "original"
CONTENT = "content"


class StorageError(Exception):
    """A stored file is missing, altered or sealed under a key that is not configured."""


def key_context(external_id: uuid.UUID) -> str:
    return f"document:{external_id}"


def new_data_key(external_id: uuid.UUID) -> tuple[bytes, str]:
    """A fresh data key and its sealed form for ``Document.data_key``."""
    data_key = AESGCM.generate_key(bit_length=256)
    return data_key, envelope.encrypt(settings.DATA_KEY, key_context(external_id), data_key)


def open_data_key(external_id: uuid.UUID, sealed: str) -> bytes:
    try:
        return envelope.decrypt(keks(), key_context(external_id), sealed)
    except SealError as exc:
        raise StorageError(str(exc)) from exc


def _path(key: str) -> Path:
    root = Path(settings.DOCUMENTS_DIR).resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise StorageError(f"storage key {key!r} leaves the documents folder")
    return path


def write_file(external_id: uuid.UUID, purpose: str, data_key: bytes, plaintext: bytes) -> str:
    """Encrypt and store ``plaintext``; returns the storage key."""
    key = f"{external_id.hex[:2]}/{external_id.hex}.{purpose}"
    path = _path(key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, f"{external_id}:{purpose}".encode())
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(MAGIC + nonce + sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def read_file(external_id: uuid.UUID, key: str, data_key: bytes) -> bytes:
    purpose = key.rsplit(".", 1)[-1]
    try:
        raw = _path(key).read_bytes()
    except OSError as exc:
        raise StorageError(f"cannot read stored file {key!r} ({exc.strerror})") from exc
    if not raw.startswith(MAGIC):
        raise StorageError(f"stored file {key!r} is not an encrypted document")
    body = raw[len(MAGIC) :]
    try:
        return AESGCM(data_key).decrypt(
            body[:NONCE_BYTES], body[NONCE_BYTES:], f"{external_id}:{purpose}".encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise StorageError(f"stored file {key!r} was altered or belongs elsewhere") from exc


def delete_file(key: str) -> None:
    if key:
        _path(key).unlink(missing_ok=True)
