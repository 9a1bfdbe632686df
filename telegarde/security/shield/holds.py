"""Held refusals: an abusive connection waits for its refusal, then is closed.

A flood is cheap to send and, even refused, costs the server the parsing and the answer
of every request. Anonymous refusals (over budget, shed while saturated) and every
refusal of a banned address are therefore answered only after ``seconds``, with
``Connection: close``: the requests pipelined behind the refused one are dropped with
the connection, and a client that keeps its connections open gets one answer per
connection and hold. Holding costs one timer and the connection's slot; the numbers held
are bounded per address and per worker, and beyond them the refusal is sent at once,
still closing the connection. Signed-in people are never held.

An anonymous address refused for its budget is also *penalised* for
``penalty_seconds``: its anonymous requests are refused (held) without asking the
budgets, and every refusal starts the penalty again. Without it, a client reconnecting
after each hold would find its bucket refilled by the hold itself and get a burst of
requests through each time; a person who waits the penalty out is served as before. The
penalty is this worker's, like its holds, and never touches signed-in requests.
"""

from __future__ import annotations

import random

MAX_PENALISED = 100_000


class Holds:
    def __init__(
        self, seconds: float, per_address: int, total: int, penalty_seconds: float = 0.0
    ) -> None:
        self.seconds = seconds
        self.per_address = per_address
        self.total = total
        self.penalty_seconds = penalty_seconds
        self.by_address: dict[str, int] = {}
        self.held = 0
        self.penalised: dict[str, float] = {}  # address -> end of its penalty (monotonic)

    def take(self, ip: str) -> bool:
        """Whether a refusal to ``ip`` may be held now; if so, ``give`` it back after."""
        if self.seconds <= 0 or self.held >= self.total:
            return False
        count = self.by_address.get(ip, 0)
        if count >= self.per_address:
            return False
        self.by_address[ip] = count + 1
        self.held += 1
        return True

    def duration(self) -> float:
        """How long to hold this refusal: ``seconds``, give or take a half, so that the
        connections of a flood, refused together, do not all come back together."""
        return self.seconds * random.uniform(0.5, 1.5)  # noqa: S311 - not a secret

    def give(self, ip: str) -> None:
        self.held -= 1
        count = self.by_address.pop(ip, 1) - 1
        if count > 0:
            self.by_address[ip] = count

    def penalise(self, ip: str, now: float) -> None:
        if self.penalty_seconds <= 0:
            return
        self.penalised[ip] = now + self.penalty_seconds
        if len(self.penalised) > MAX_PENALISED:
            self.penalised = {k: t for k, t in self.penalised.items() if t > now}
            if len(self.penalised) > MAX_PENALISED:  # a flood of distinct addresses
                self.penalised = {ip: now + self.penalty_seconds}

    def penalty_left(self, ip: str, now: float) -> float:
        """Seconds left in ``ip``'s penalty; 0 when it has none."""
        until = self.penalised.get(ip)
        if until is None:
            return 0.0
        if until <= now:
            del self.penalised[ip]
            return 0.0
        return until - now
