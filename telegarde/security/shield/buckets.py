"""Token-bucket arithmetic, shared by the in-memory backend and mirrored by the Redis
Lua script (backends.py), so both give the same answers."""

from __future__ import annotations

from .config import Budget


def refill(tokens: float, last: float, now: float, budget: Budget) -> float:
    """The tokens a bucket holds at ``now`` when it held ``tokens`` at ``last``."""
    if now <= last:
        return tokens
    return min(budget.burst, tokens + (now - last) * budget.rate)


def wait_for_token(tokens: float, budget: Budget) -> float:
    """Seconds until a bucket holding ``tokens`` has one whole token again."""
    return 0.0 if tokens >= 1 else (1 - tokens) / budget.rate


def queue_head(head: float, tail: int, last: float, now: float, rate: float, burst: float) -> float:
    """The virtual queue's admission line at ``now``: it advances at ``rate`` and may
    run ahead of the last ticket by ``burst`` (capacity saved while nobody queued)."""
    if now > last:
        head += (now - last) * rate
    return min(head, tail + burst)
