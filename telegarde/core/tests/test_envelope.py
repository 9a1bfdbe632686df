"""Envelope encryption: per-object data keys wrapped under the key-encryption key."""

from __future__ import annotations

import pytest

from telegarde.lib import envelope
from telegarde.lib.crypto import SealError

OLD = "old-key-encryption-key-0123456789abcdef"
NEW = "new-key-encryption-key-fedcba9876543210"


def test_it_round_trips_and_hides_the_plaintext() -> None:
    token = envelope.encrypt(OLD, "note:1", b"Tension 12/8")
    assert "Tension" not in token
    assert envelope.decrypt([OLD], "note:1", token) == b"Tension 12/8"


def test_it_uses_a_fresh_data_key_for_each_object() -> None:
    first = envelope.encrypt(OLD, "note:1", b"same")
    second = envelope.encrypt(OLD, "note:1", b"same")
    assert first != second


def test_it_refuses_a_value_copied_onto_another_object() -> None:
    token = envelope.encrypt(OLD, "note:1", b"secret")
    with pytest.raises(SealError):
        envelope.decrypt([OLD], "note:2", token)


def test_it_refuses_an_altered_value() -> None:
    token = envelope.encrypt(OLD, "note:1", b"secret")
    body = token.rsplit(":", 1)[1]
    flipped = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(SealError):
        envelope.decrypt([OLD], "note:1", token[: -len(body)] + flipped)


def test_it_rewraps_under_a_new_key_and_the_old_key_can_then_go() -> None:
    token = envelope.encrypt(OLD, "chat:9", b"bonjour")
    rotated = envelope.rewrap([OLD], NEW, token)
    assert envelope.wrapped_with(rotated) == envelope.key_id(NEW)
    assert envelope.decrypt([NEW], "chat:9", rotated) == b"bonjour"
    with pytest.raises(SealError):
        envelope.decrypt([NEW], "chat:9", token)


def test_it_names_no_key_when_the_wrapping_key_is_missing() -> None:
    token = envelope.encrypt(OLD, "chat:9", b"x")
    with pytest.raises(SealError, match="no key-encryption key"):
        envelope.decrypt([NEW], "chat:9", token)
