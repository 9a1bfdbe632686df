"""``telegarde keys rotate``: every sealed value re-wrapped under the new key, old data
still readable meanwhile, the old key removable afterwards, an interrupted run resumable."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from telegarde.conftest import Personas, last_event
from telegarde.core import rotation
from telegarde.core.vault import seal_text, sealed_fields
from telegarde.lib import envelope
from telegarde.messaging.models import Message

from .keyring import (
    LEGACY_SEED,
    new_key,
    read_everything,
    scratch_documents,  # noqa: F401
    seal_everything,
)


@pytest.fixture
def old_data(personas: Personas) -> dict[str, Any]:
    """Everything sealed under the key of the test run (the "old" key), as read then."""
    seal_everything(personas)
    return read_everything()


def switch_keys(settings: Any) -> tuple[str, str]:
    """The operator's first step: a new TELEGARDE_DATA_KEY, the old one listed as previous."""
    old, new = settings.DATA_KEY, new_key()
    settings.DATA_KEY = new
    settings.DATA_KEYS_PREVIOUS = [old]
    return old, new


def counts_under(key: str) -> int:
    kid = envelope.key_id(key)
    return sum(row.count for row in rotation.status() if row.key == kid)


def test_old_data_still_opens_before_the_rotation(settings: Any, old_data: dict[str, Any]) -> None:
    switch_keys(settings)

    assert read_everything() == old_data
    assert LEGACY_SEED in old_data["totp"]


def test_it_rewraps_everything_and_the_old_key_can_go(
    settings: Any, old_data: dict[str, Any]
) -> None:
    old, new = switch_keys(settings)
    before = counts_under(old)

    out = StringIO()
    call_command("keys", "rotate", stdout=out, stderr=StringIO())

    assert counts_under(old) == 0
    assert not [row for row in rotation.status() if row.key == rotation.LEGACY]
    assert counts_under(new) == before + 1  # the legacy TOTP seed converted
    assert read_everything() == old_data
    settings.DATA_KEYS_PREVIOUS = []
    assert read_everything() == old_data
    assert "re-wrapped" in out.getvalue()
    event = last_event("keys.rotated")
    assert event.outcome == "success"
    assert event.data["key_id"] == envelope.key_id(new)
    assert event.data["rewrapped"] == before
    assert event.data["converted"] == 1
    assert {f["field"] for f in event.data["fields"]} == {f.label for f in sealed_fields()}


def test_it_covers_chat_notes_messages_and_totp_seeds() -> None:
    assert {f.label for f in sealed_fields()} >= {
        "consultation.ChatMessage.sealed_body",
        "consultation.ConsultationNote.sealed_body",
        "messaging.Message.sealed_body",
        "mfa.TotpDevice.sealed_secret",
        "documents.Document.data_key",
    }


class Interrupted(Exception):
    pass


def test_an_interrupted_rotation_completes_when_run_again(
    settings: Any, personas: Personas, old_data: dict[str, Any]
) -> None:
    old, new = switch_keys(settings)
    batches = []

    def stop_after_first_batch(report: rotation.FieldReport) -> None:
        batches.append(report.field)
        if report.field == "messaging.Message.sealed_body":
            raise Interrupted

    with pytest.raises(Interrupted):
        rotation.rotate(batch_size=1, progress=stop_after_first_batch)

    messages = list(Message.objects.values_list("sealed_body", flat=True))
    assert sorted(envelope.wrapped_with(t) for t in messages) == sorted(
        [envelope.key_id(new)] + [envelope.key_id(old)] * (len(messages) - 1)
    )
    assert read_everything() == old_data  # half-rotated, fully readable

    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())

    assert counts_under(old) == 0
    settings.DATA_KEYS_PREVIOUS = []
    assert read_everything() == old_data


def test_running_it_again_changes_nothing(settings: Any, old_data: dict[str, Any]) -> None:
    switch_keys(settings)
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    tokens = list(Message.objects.order_by("pk").values_list("sealed_body", flat=True))

    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())

    assert list(Message.objects.order_by("pk").values_list("sealed_body", flat=True)) == tokens
    assert last_event("keys.rotated").data["rewrapped"] == 0


def test_it_keeps_a_value_a_writer_changed_meanwhile(
    settings: Any, personas: Personas, old_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional update: a row rewritten after the batch read it keeps its new value."""
    switch_keys(settings)
    target = Message.objects.order_by("pk").first()
    assert target is not None
    fresh = seal_text(target.context, "corrigé")
    original = rotation._rotate_batch

    def racing(entry: Any, rows: list[tuple[int, str]], report: rotation.FieldReport) -> None:
        if entry.model is Message:
            Message.objects.filter(pk=target.pk).update(sealed_body=fresh)
        original(entry, rows, report)

    monkeypatch.setattr(rotation, "_rotate_batch", racing)
    rotation.rotate()

    target.refresh_from_db()
    assert target.sealed_body == fresh


def test_it_reports_values_no_configured_key_opens(settings: Any, old_data: dict[str, Any]) -> None:
    settings.DATA_KEY = new_key()  # the operator forgot TELEGARDE_DATA_KEYS_PREVIOUS

    with pytest.raises(CommandError, match="TELEGARDE_DATA_KEYS_PREVIOUS"):
        call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())

    event = last_event("keys.rotated")
    assert event.outcome == "failure"
    assert event.data["unreadable"] > 0
    assert Message.objects.count() == len(old_data["messages"])
