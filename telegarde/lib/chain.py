"""Hash chaining of records with an HMAC key: the arithmetic, without any storage."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of one link: it commits to the previous link and to every field."""
    message = prev_hash.encode() + b"\n" + canonical_json(dict(fields))
    return hmac.new(key, message, hashlib.sha256).hexdigest()
