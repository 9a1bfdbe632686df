"""The bundled list of common and breached passwords, as a compact hash table.

The table holds one keyed 64-bit fingerprint per normalised entry, split into a bucket
number (the high ``BUCKET_BITS`` bits, implicit in the layout) and a 24-bit remainder
stored in the bucket. A lookup reads one bucket of about eight 3-byte remainders: O(1),
and the whole table stays a single ``bytes`` object of about 3.4 MB for a million entries.
A false positive (a password refused as "common" while it is not) happens for about one
random password in two million; no false negative is possible.

File layout (all little-endian): magic ``TGPW1``, entry count (u32), bucket bits (u8),
then ``2**bucket_bits + 1`` bucket offsets (u32, in entries), then the remainders.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MAGIC = b"TGPW1"
REMAINDER_BYTES = 3
# A fixed, public key: the fingerprints only need to be stable, not secret.
FINGERPRINT_KEY = b"telegarde-common-passwords-v1"
DATA_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.bin"


def normalise(password: str) -> str:
    """The form entries and candidates are compared in: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", password).casefold()


def fingerprint(password: str) -> int:
    digest = hashlib.blake2b(
        normalise(password).encode("utf-8"), digest_size=8, key=FINGERPRINT_KEY
    ).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class CommonPasswords:
    """A loaded table; ``password in table`` is the lookup."""

    count: int
    bucket_bits: int
    offsets: array[int]
    remainders: bytes

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str):
            return False
        value = fingerprint(password)
        bucket = value >> (64 - self.bucket_bits)
        wanted = ((value >> (64 - self.bucket_bits - 8 * REMAINDER_BYTES)) & 0xFFFFFF).to_bytes(
            REMAINDER_BYTES, "little"
        )
        start, end = self.offsets[bucket], self.offsets[bucket + 1]
        data = self.remainders
        return any(
            data[i : i + REMAINDER_BYTES] == wanted
            for i in range(start * REMAINDER_BYTES, end * REMAINDER_BYTES, REMAINDER_BYTES)
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> CommonPasswords:
        if not blob.startswith(MAGIC):
            raise ValueError("not a Telegarde common-password table")
        count, bucket_bits = struct.unpack_from("<IB", blob, len(MAGIC))
        header = len(MAGIC) + 5
        offsets = array("I")
        offsets.frombytes(blob[header : header + 4 * ((1 << bucket_bits) + 1)])
        if offsets.itemsize != 4 or len(offsets) != (1 << bucket_bits) + 1:
            raise ValueError("truncated common-password table")
        remainders = blob[header + 4 * len(offsets) :]
        if len(remainders) != count * REMAINDER_BYTES or offsets[-1] != count:
            raise ValueError("truncated common-password table")
        return cls(count, bucket_bits, offsets, remainders)


def build_table(entries: Iterable[str]) -> bytes:
    """The table for ``entries`` (duplicates after normalisation are kept once)."""
    values = sorted({fingerprint(entry) for entry in entries if entry})
    # About eight entries per bucket: small buckets, and offsets cost 4 bytes per bucket.
    bucket_bits = max(4, (len(values) // 8).bit_length())
    shift = 64 - bucket_bits - 8 * REMAINDER_BYTES
    offsets = array("I", [0] * ((1 << bucket_bits) + 1))
    remainders = bytearray()
    for value in values:
        offsets[(value >> (64 - bucket_bits)) + 1] += 1
        remainders += ((value >> shift) & 0xFFFFFF).to_bytes(REMAINDER_BYTES, "little")
    for i in range(1, len(offsets)):
        offsets[i] += offsets[i - 1]
    header = MAGIC + struct.pack("<IB", len(values), bucket_bits)
    return header + offsets.tobytes() + bytes(remainders)


@cache
def common_passwords() -> CommonPasswords:
    """The bundled table, read once per process."""
    return CommonPasswords.from_bytes(DATA_FILE.read_bytes())


def is_common(password: str) -> bool:
    return password in common_passwords()
