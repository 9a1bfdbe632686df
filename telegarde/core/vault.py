"""Sensitive text at rest (messages, notes, chat, TOTP seeds): envelope-sealed under the
platform's key-encryption key. Apps store the returned token in a text column and
register that column here (in their ``AppConfig.ready``), so that ``telegarde keys
rotate`` and ``telegarde keys status`` reach it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model

from telegarde.lib import envelope
from telegarde.lib.crypto import SealError, unseal

# Values sealed before envelopes existed ("v1:…", lib/crypto.seal) carry no key id.
LEGACY_PREFIX = "v1:"


def keks() -> list[str]:
    """The current key-encryption key first, then the previous ones: readers accept every
    one of them while a rotation runs (settings.DATA_KEYS_PREVIOUS)."""
    return [settings.DATA_KEY, *getattr(settings, "DATA_KEYS_PREVIOUS", [])]


def seal_text(context: str, text: str) -> str:
    return envelope.encrypt(settings.DATA_KEY, context, text.encode())


def open_text(context: str, token: str, *, legacy_purpose: str = "") -> str:
    """Open a value of ``seal_text``; with ``legacy_purpose``, also a value sealed by
    ``lib.crypto.seal`` for that purpose (until the rotation converts it)."""
    if legacy_purpose and token.startswith(LEGACY_PREFIX):
        return open_legacy(legacy_purpose, token).decode()
    return envelope.decrypt(keks(), context, token).decode()


def open_legacy(purpose: str, token: str) -> bytes:
    """A ``lib.crypto.seal`` value under whichever configured key sealed it."""
    for kek in keks():
        try:
            return unseal(kek, purpose, token)
        except SealError:
            continue
    raise SealError("no configured key-encryption key opens this value")


@dataclass(frozen=True)
class SealedField:
    """A column holding envelope-sealed tokens, and how to name each row's context (the
    associated data its value is bound to)."""

    model: type[Model]
    field: str
    context: Callable[[Any], str]
    # Set for columns that may still hold lib/crypto.seal values of this purpose: the
    # rotation converts them into envelopes.
    legacy_purpose: str = ""

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


_registry: dict[str, SealedField] = {}


def register_sealed_field(
    model: type[Model], field: str, context: Callable[[Any], str], *, legacy_purpose: str = ""
) -> None:
    """Declare that ``model.field`` holds sealed values (call from ``AppConfig.ready``);
    registering the same column again replaces the entry (``ready`` may run twice)."""
    model._meta.get_field(field)  # fails at start-up on a misspelt column
    entry = SealedField(model, field, context, legacy_purpose)
    _registry[entry.label] = entry


def sealed_fields() -> list[SealedField]:
    return [_registry[label] for label in sorted(_registry)]
