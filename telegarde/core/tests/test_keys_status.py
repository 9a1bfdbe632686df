"""``telegarde keys status``: how many values each key wraps, per field."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from telegarde.conftest import Personas
from telegarde.lib import envelope

from .keyring import (
    new_key,
    scratch_documents,  # noqa: F401
    seal_everything,
)


def lines(settings: Any) -> list[list[str]]:
    out = StringIO()
    call_command("keys", "status", stdout=out)
    return [line.split("\t") for line in out.getvalue().splitlines() if "\t" in line]


def test_it_counts_values_per_field_and_key(settings: Any, personas: Personas) -> None:
    seal_everything(personas, messages=3)
    old = envelope.key_id(settings.DATA_KEY)
    settings.DATA_KEYS_PREVIOUS = [settings.DATA_KEY]
    settings.DATA_KEY = new_key()

    rows = {(field, key): (described, int(n)) for field, key, described, n in lines(settings)}

    assert rows[("messaging.Message.sealed_body", old)] == ("previous 1", 3)
    assert rows[("consultation.ChatMessage.sealed_body", old)] == ("previous 1", 1)
    assert rows[("mfa.TotpDevice.sealed_secret", "legacy")][1] == 1


def test_it_fails_when_a_value_needs_a_key_not_configured(
    settings: Any, personas: Personas
) -> None:
    seal_everything(personas, messages=1)
    settings.DATA_KEY = new_key()

    with pytest.raises(CommandError, match="not configured"):
        lines(settings)
