"""Facts an event does not carry but a rule needs, added before evaluation in live mode
(a database read, so only for the few actions that need it)."""

from __future__ import annotations

from .rules import Event

PRIVILEGE_ACTIONS = frozenset({"auth.mfa.totp.removed", "auth.passkey.removed", "auth.mfa.removed"})


def enrich(event: Event) -> Event:
    if (
        event.get("event.action") in PRIVILEGE_ACTIONS
        and "telegarde.target.privileged" not in event
    ):
        from telegarde.accounts.hooks import is_privileged

        event["telegarde.target.privileged"] = is_privileged(str(event.get("telegarde.target.id")))
    return event
