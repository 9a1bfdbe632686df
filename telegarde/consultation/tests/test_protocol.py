"""The signalling protocol: every message type, and everything else refused by field."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telegarde.consultation.protocol import (
    MAX_CHAT_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_SDP_CHARS,
    SCHEMAS,
    ProtocolError,
    parse,
)

PEER = str(uuid.uuid4())
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}

VALID: dict[str, dict[str, Any]] = {
    "ping": {},
    "state": {},
    "offer": {"to": PEER, "description": {"type": "offer", "sdp": SDP}},
    "answer": {"to": PEER, "description": {"type": "answer", "sdp": SDP}},
    "candidate": {"to": PEER, "candidate": CANDIDATE},
    "fingerprints": {"peer": PEER, "local": "sha-256 AB:CD", "remote": "sha-256 EF:01"},
    "admit": {"participant": PEER},
    "refuse": {"participant": PEER},
    "sas": {"result": "match"},
    "chat": {"text": "Bonjour docteur"},
    "fallback": {"step": "audio", "reason": "timeout"},
    "hangup": {},
}


def raw(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields})


def refused_field(text: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse(text)
    return caught.value.field


def test_it_covers_every_message_type() -> None:
    assert set(VALID) == set(SCHEMAS)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_it_accepts_each_valid_message(kind: str) -> None:
    message = parse(raw(kind, **VALID[kind]))

    assert message.type == kind
    assert message.fields == VALID[kind]


@pytest.mark.parametrize("kind", sorted(k for k in VALID if VALID[k]))
def test_it_refuses_each_missing_field(kind: str) -> None:
    for name in VALID[kind]:
        fields = {k: v for k, v in VALID[kind].items() if k != name}

        assert refused_field(raw(kind, **fields)) == name


@pytest.mark.parametrize("kind", sorted(VALID))
def test_it_refuses_an_extra_field(kind: str) -> None:
    assert refused_field(raw(kind, **VALID[kind], intrus=1)) == "intrus"


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("offer", "to", "not-a-uuid"),
        ("offer", "to", 42),
        ("offer", "to", None),
        ("offer", "description", "v=0"),
        ("offer", "description", {"type": "offer"}),
        ("offer", "description", {"type": "offer", "sdp": SDP, "extra": 1}),
        ("offer", "description.type", {"type": "rollback", "sdp": SDP}),
        ("offer", "description.sdp", {"type": "offer", "sdp": 12}),
        ("offer", "description.sdp", {"type": "offer", "sdp": "hello"}),
        ("candidate", "candidate", {"candidate": "x", "port": 1}),
        ("candidate", "candidate", ["candidate:1"]),
        ("candidate", "candidate", {"candidate": 7}),
        ("candidate", "candidate.sdpMid", {"candidate": "x", "sdpMid": 0}),
        ("candidate", "candidate.sdpMLineIndex", {"candidate": "x", "sdpMLineIndex": "0"}),
        ("candidate", "candidate.sdpMLineIndex", {"candidate": "x", "sdpMLineIndex": True}),
        ("candidate", "candidate.sdpMLineIndex", {"candidate": "x", "sdpMLineIndex": 64}),
        ("candidate", "candidate.usernameFragment", {"candidate": "x", "usernameFragment": []}),
        ("fingerprints", "local", 1),
        ("fingerprints", "remote", "x" * 201),
        ("fingerprints", "peer", "x"),
        ("admit", "participant", {"id": PEER}),
        ("sas", "result", "maybe"),
        ("sas", "result", ["match"]),
        ("chat", "text", 1),
        ("chat", "text", None),
        ("fallback", "step", "video"),
        ("fallback", "reason", "bored"),
    ],
)
def test_it_refuses_a_wrong_value_naming_the_field(kind: str, field: str, value: Any) -> None:
    name = field.split(".")[0]

    assert refused_field(raw(kind, **{**VALID[kind], name: value})) == field


def test_it_accepts_the_end_of_candidates() -> None:
    assert parse(raw("candidate", to=PEER, candidate=None)).fields["candidate"] is None


def test_it_refuses_an_oversized_sdp() -> None:
    sdp = "v=0\r\n" + "a" * MAX_SDP_CHARS

    assert refused_field(raw("offer", to=PEER, description={"type": "offer", "sdp": sdp})) == (
        "description.sdp"
    )


def test_it_refuses_an_oversized_chat_message() -> None:
    assert refused_field(raw("chat", text="a" * (MAX_CHAT_CHARS + 1))) == "text"
    assert parse(raw("chat", text="a" * MAX_CHAT_CHARS)).fields["text"] == "a" * MAX_CHAT_CHARS


def test_it_refuses_a_message_over_64_kib_before_reading_it() -> None:
    message = raw("chat", text="é" * (MAX_MESSAGE_BYTES // 2))

    with pytest.raises(ProtocolError) as caught:
        parse(message)

    assert caught.value.field == "message"
    assert "bytes" in caught.value.problem


@pytest.mark.parametrize("text", ["", "{", "ping", "{'type': 'ping'}", "\x00"])
def test_it_refuses_what_is_not_json(text: str) -> None:
    assert refused_field(text) == "message"


@pytest.mark.parametrize("text", ["[]", "1", '"ping"', "null", "true"])
def test_it_refuses_json_that_is_not_an_object(text: str) -> None:
    assert refused_field(text) == "message"


@pytest.mark.parametrize("kind", ["bye", "", "Ping", 1, None, ["ping"], {"x": 1}])
def test_it_refuses_an_unknown_type(kind: Any) -> None:
    assert refused_field(json.dumps({"type": kind})) == "type"


def test_it_refuses_a_message_without_type() -> None:
    assert refused_field("{}") == "type"


def test_it_refuses_deeply_nested_json() -> None:
    depth = MAX_MESSAGE_BYTES // 2 - 10

    assert refused_field("[" * depth + "]" * depth) == "message"
    assert refused_field('{"type": "chat", "text": ' + "[" * depth + "]" * depth + "}") in (
        "message",
        "text",
    )


def test_it_refuses_text_that_is_not_unicode() -> None:
    assert refused_field('{"type": "ping"}\ud800') == "message"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
near_messages = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(sorted(SCHEMAS)) | st.text(max_size=10),
    st.dictionaries(
        st.sampled_from(["to", "description", "candidate", "peer", "local", "remote", "text"])
        | st.text(max_size=8),
        json_values,
        max_size=4,
    ),
)


@given(st.one_of(json_values.map(json.dumps), near_messages.map(json.dumps), st.text()))
def test_it_never_fails_otherwise_than_with_a_protocol_error(text: str) -> None:
    try:
        message = parse(text)
    except ProtocolError as refused:
        assert refused.field or refused.problem == "unexpected field"  # a key named ""
    else:
        assert message.type in SCHEMAS
