"""Verification codes of issued documents: 12 characters from an alphabet without the
look-alikes (0/O, 1/I), so about 60 bits: guessing one is hopeless at any request rate."""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 12
GROUP = 4


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(value: str) -> str | None:
    """The stored form of a typed or scanned code (case, spaces and dashes ignored), or
    None when it cannot be one."""
    raw = "".join(ch for ch in value.upper() if ch not in " -\t")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def shown(code: str) -> str:
    """``ABCDEFGHJKLM`` as printed and typed: ``ABCD-EFGH-JKLM``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
