"""What the login form calls: reserve the budgets, then hash under a concurrency cap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest

from telegarde.core.events import client_ip, record_event

from .backends import backend
from .budgets import Budget, Decision, budgets_for, now

T = TypeVar("T")


class Busy(Exception):
    """Every hashing slot stayed taken: answer "try again", never queue without bound."""


@cache
def _slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(settings.MAX_CONCURRENT_HASHES)


@dataclass
class Attempt:
    budgets: list[Budget]
    decision: Decision


def reserve_attempt(request: HttpRequest, email: str, device: str | None) -> Attempt:
    """Reserve this attempt in every budget, or say which one refuses and for how long."""
    budgets = budgets_for(email, client_ip(request), device)
    if not settings.LOGIN_THROTTLE["enabled"]:
        return Attempt([], Decision(True))
    decision = backend().reserve(budgets, now())
    if not decision.allowed:
        record_event(
            "auth.throttled",
            outcome="failure",
            request=request,
            data={
                "scope": decision.scope,
                "retry_after": decision.retry_after,
                "email": email[:254],
            },
        )
    return Attempt(budgets, decision)


def hash_with_cap[T](compute: Callable[[], T], wait_seconds: float = 5.0) -> T:
    if not _slots().acquire(timeout=wait_seconds):
        raise Busy
    try:
        return compute()
    finally:
        _slots().release()


def settle(attempt: Attempt, *, success: bool) -> None:
    if success and attempt.budgets:
        backend().settle_success(attempt.budgets)


def refund(attempt: Attempt) -> None:
    """Give back what ``attempt`` reserved, when it was never evaluated (every hashing
    slot was taken). Unlike a success, the streak is not reset: resetting it would let
    an attacker who keeps the hashers busy escape the back-off."""
    if attempt.budgets:
        backend().refund(attempt.budgets)


def starts_backoff(attempt: Attempt) -> bool:
    """True when this (failed) attempt is the one that starts the account's back-off:
    the moment to warn the account's owner, once per streak."""
    return attempt.decision.streak == settings.LOGIN_THROTTLE["free_failures"]
