"""Sensitive text at rest (messages, notes, chat): envelope-sealed under the platform's
key-encryption key. Apps store the returned token in a text column."""

from __future__ import annotations

from django.conf import settings

from telegarde.lib import envelope


def _keks() -> list[str]:
    # Previous keys stay readable during a rotation (settings.DATA_KEYS_PREVIOUS).
    return [settings.DATA_KEY, *getattr(settings, "DATA_KEYS_PREVIOUS", [])]


def seal_text(context: str, text: str) -> str:
    return envelope.encrypt(settings.DATA_KEY, context, text.encode())


def open_text(context: str, token: str) -> str:
    return envelope.decrypt(_keks(), context, token).decode()
