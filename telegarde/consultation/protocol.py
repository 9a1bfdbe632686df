"""The signalling protocol: every message a browser may send, validated strictly.

Anything else (unknown type, missing or extra field, wrong type, oversized value) is
refused with an error naming the field; nothing unvalidated reaches an action or
another participant.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP_CHARS = 48 * 1024
MAX_CANDIDATE_CHARS = 1024
MAX_CHAT_CHARS = 2000
MAX_FINGERPRINT_CHARS = 200


class ProtocolError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Message:
    type: str
    fields: dict[str, Any]


# For each type: field name -> validator. Every listed field is required.
def _uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ProtocolError(field, "not an identifier") from None


def _text(limit: int) -> Any:
    def check(value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise ProtocolError(field, "not a string")
        if len(value) > limit:
            raise ProtocolError(field, f"longer than {limit} characters")
        return value

    return check


def _choice(*allowed: str) -> Any:
    def check(value: Any, field: str) -> str:
        if value not in allowed:
            raise ProtocolError(field, f"not one of {', '.join(allowed)}")
        return str(value)

    return check


def _description(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"type", "sdp"}:
        raise ProtocolError(field, "must hold exactly type and sdp")
    kind = _choice("offer", "answer")(value["type"], f"{field}.type")
    sdp = _text(MAX_SDP_CHARS)(value["sdp"], f"{field}.sdp")
    if not sdp.startswith("v=0"):
        raise ProtocolError(f"{field}.sdp", "not a session description")
    return {"type": kind, "sdp": sdp}


def _candidate(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None  # end of candidates
    if not isinstance(value, dict) or not set(value) <= {
        "candidate",
        "sdpMid",
        "sdpMLineIndex",
        "usernameFragment",
    }:
        raise ProtocolError(field, "unexpected candidate fields")
    clean: dict[str, Any] = {"candidate": _text(MAX_CANDIDATE_CHARS)(value.get("candidate"), field)}
    if value.get("sdpMid") is not None:
        clean["sdpMid"] = _text(32)(value["sdpMid"], f"{field}.sdpMid")
    index = value.get("sdpMLineIndex")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 64:
            raise ProtocolError(f"{field}.sdpMLineIndex", "not a small integer")
        clean["sdpMLineIndex"] = index
    if value.get("usernameFragment") is not None:
        clean["usernameFragment"] = _text(256)(
            value["usernameFragment"], f"{field}.usernameFragment"
        )
    return clean


SCHEMAS: dict[str, dict[str, Any]] = {
    "ping": {},
    "state": {},
    "offer": {"to": _uuid, "description": _description},
    "answer": {"to": _uuid, "description": _description},
    "candidate": {"to": _uuid, "candidate": _candidate},
    "fingerprints": {
        "peer": _uuid,
        "local": _text(MAX_FINGERPRINT_CHARS),
        "remote": _text(MAX_FINGERPRINT_CHARS),
    },
    "admit": {"participant": _uuid},
    "refuse": {"participant": _uuid},
    "sas": {"result": _choice("match", "different")},
    "chat": {"text": _text(MAX_CHAT_CHARS)},
    "fallback": {"step": _choice("audio", "phone"), "reason": _choice("timeout", "choice")},
    "hangup": {},
}


def parse(raw: str) -> Message:
    """The validated message in ``raw``, or ProtocolError naming what is wrong."""
    try:
        size = len(raw.encode())
    except UnicodeEncodeError:  # lone surrogates: not text a WebSocket could carry
        raise ProtocolError("message", "not valid Unicode") from None
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("message", f"larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProtocolError("message", "not JSON") from None
    except RecursionError:  # "[[[[…" fits in 64 KiB and exhausts the decoder's stack
        raise ProtocolError("message", "nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError("message", "not a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        raise ProtocolError("type", "unknown message type")
    schema = SCHEMAS[kind]
    extra = set(data) - set(schema) - {"type"}
    if extra:
        raise ProtocolError(sorted(extra)[0], "unexpected field")
    fields = {}
    for name, check in schema.items():
        if name not in data:
            raise ProtocolError(name, "missing")
        fields[name] = check(data[name], name)
    return Message(kind, fields)
