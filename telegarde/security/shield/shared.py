"""Budgets shared through Redis, decided in this process whenever that gives the same
answer: the Redis backend as the middleware uses it.

In front of Redis, this process keeps two things per bucket key, and refuses at once,
without a round trip, a request that either shows to be over budget:

- **its own copy of the bucket**, with the same budget, charged only for the requests
  Redis allowed through this process. It sees a subset of the requests the shared bucket
  saw, and both refill the same way, so it never holds fewer tokens than the shared one
  (each charge arrives after Redis's; ``MemoryBackend.spend`` gives back what a full
  bucket would have refilled meanwhile). Empty here means empty in Redis.
- **what Redis last said** when a bucket had less than one token left: the shared
  bucket refills at its rate at most, so it stays below one token until
  ``(1 - tokens) / rate`` after that answer (counted from when the question left, which
  is earlier). This is what catches a client whose requests are spread over several
  processes, each of which sees too few of them to empty its own copy.

Only requests that pass both go to Redis, for the shared decision. A bucket key names
its budget (middleware.py), so every process and every request agree on what a key's
bucket is. This holds while Redis keeps its data and the clocks of Redis and this host
run at the same rate; when Redis restarts empty, or after an outage (below), this
process may refuse for a few seconds what a fresh Redis would allow, never the reverse.

Refusals decided here still count toward automatic bans: this process adds them to the
shared strike counters in one call every ``STRIKE_FLUSH_S``.

Behind Redis, the same copies are the fallback: when Redis does not answer, this process
decides alone with the buckets it has been keeping all along (no fresh budgets), records
the switch once, stays on its own for a hold period and only then probes Redis in the
background; a Redis that fails again soon after coming back is left alone twice as long
each time (``Breaker``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .backends import MAX_MEMORY_KEYS, MemoryBackend, RedisBackend, Verdict
from .buckets import refill, wait_for_token
from .config import Budget

logger = logging.getLogger(__name__)

STRIKE_FLUSH_S = 0.5
STRIKE_FLUSH_KEYS = 1000
# Tokens this process gives Redis the benefit of: the same refill computed over other
# intervals, or printed by Lua with 14 digits, differs in the last decimals.
SLACK = 1e-6


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError, TimeoutError)


class Breaker:
    """Whether to ask Redis. After a failure this process decides alone for ``hold_s``,
    then a background probe (PING) decides whether to go back; failing again within
    ``stable_s`` of coming back doubles the hold, up to ``max_hold_s``. Each switch is
    reported once through ``on_change``, never once per request."""

    def __init__(
        self,
        on_change: Callable[[str, dict[str, Any]], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        hold_s: float = 5.0,
        max_hold_s: float = 60.0,
        stable_s: float = 30.0,
    ) -> None:
        self.on_change = on_change
        self.clock = clock
        self.base_hold_s = hold_s
        self.max_hold_s = max_hold_s
        self.stable_s = stable_s
        self.hold_s = hold_s
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.recovered_at = -math.inf
        self.probing = False
        self.failovers = 0
        self.decided_alone = 0  # requests decided without Redis in the current outage

    @property
    def up(self) -> bool:
        return self.down_since is None

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        if self.down_since is None:
            flapping = now - self.recovered_at < self.stable_s
            self.hold_s = min(2 * self.hold_s, self.max_hold_s) if flapping else self.base_hold_s
            self.down_since = now
            self.decided_alone = 0
            self.failovers += 1
            logger.error("shield: Redis unreachable (%r); using local limits", error)
            self.on_change(
                "failed_over",
                {"error": type(error).__name__, "hold_s": self.hold_s, "failovers": self.failovers},
            )
        self.retry_at = now + self.hold_s

    def due(self) -> bool:
        """True when a probe should start now (and marks it started)."""
        if self.up or self.probing or self.clock() < self.retry_at:
            return False
        self.probing = True
        return True

    def probed(self, error: BaseException | None) -> None:
        self.probing = False
        if error is not None:
            self.retry_at = self.clock() + self.hold_s
            return
        if self.down_since is None:
            return
        now = self.clock()
        logger.warning("shield: Redis answers again; shared limits restored")
        self.on_change(
            "recovered",
            {"down_s": round(now - self.down_since, 1), "decided_alone": self.decided_alone},
        )
        self.down_since = None
        self.recovered_at = now


class SharedBackend:
    """Redis's shared budgets, with this process's memory in front (refusals that are
    certain) and behind (while Redis does not answer). See the module's docstring."""

    def __init__(
        self,
        primary: RedisBackend,
        on_change: Callable[[str, dict[str, Any]], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        breaker: Breaker | None = None,
    ) -> None:
        self.primary = primary
        self.clock = clock
        self.local = MemoryBackend(clock)
        self.breaker = breaker or Breaker(on_change, clock)
        # bucket key -> until when Redis's bucket certainly holds less than one token
        self.empty_until: dict[str, float] = {}
        self.strikes_to_add: Counter[str] = Counter()
        self.decisions: Counter[str] = Counter()  # "refused_here", "redis", "alone"
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush_scheduled = False

    @property
    def name(self) -> str:
        return "redis" if self.breaker.up else "memory-fallback"

    # --- budgets ---------------------------------------------------------------------------

    async def take(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        asked = self.clock()
        if not self.breaker.up:
            self._probe_when_due()
        refusal = self.certain_refusal(buckets, asked)
        if refusal is not None:
            self.decisions["refused_here"] += 1
            if not self.breaker.up:
                self.breaker.decided_alone += 1
            wait, limited = refusal
            strikes = 0 if strike_key is None else self._strike_here(strike_key, asked)
            return Verdict(False, wait, limited, strikes)
        if not self.breaker.up:
            return self._alone(buckets, strike_key)
        try:
            verdict = await self.primary.take(buckets, strike_key)
        except _redis_errors() as exc:
            self.breaker.failed(exc)
            return self._alone(buckets, strike_key)
        self.decisions["redis"] += 1
        self._learn(buckets, verdict, strike_key, asked)
        return verdict

    def decide_here(
        self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None
    ) -> Verdict | None:
        """A refusal Redis would certainly make too, or (Redis down) this process's own
        decision; else None."""
        now = self.clock()
        if not self.breaker.up:
            return self._alone(buckets, strike_key)
        refusal = self.certain_refusal(buckets, now)
        if refusal is None:
            return None
        self.decisions["refused_here"] += 1
        wait, limited = refusal
        strikes = 0 if strike_key is None else self._strike_here(strike_key, now)
        return Verdict(False, wait, limited, strikes)

    def certain_refusal(
        self, buckets: Sequence[tuple[str, Budget]], now: float
    ) -> tuple[float, int] | None:
        """(seconds until a token, index of the bucket) when Redis would certainly refuse
        ``buckets`` now, from what this process knows; else None."""
        wait, limited = 0.0, -1
        for index, (key, budget) in enumerate(buckets):
            tokens, last = self.local.buckets.get(key, (budget.burst, now))
            needed = max(
                wait_for_token(refill(tokens, last, now, budget) + SLACK, budget),
                self.empty_until.get(key, now) - now,
            )
            if needed > wait:
                wait, limited = needed, index
        return None if limited < 0 else (wait, limited)

    def _learn(
        self,
        buckets: Sequence[tuple[str, Budget]],
        verdict: Verdict,
        strike_key: str | None,
        asked: float,
    ) -> None:
        if verdict.allowed:
            self.local.spend(buckets, self.clock() - asked)
        elif strike_key is not None:
            # Redis's count plus the refusals counted here and not yet added to it.
            self.local.strike(
                strike_key, asked, at_least=verdict.strikes + self.strikes_to_add[strike_key]
            )
        for (key, budget), tokens in zip(buckets, verdict.levels, strict=False):
            if tokens < 1 - SLACK:
                until = asked + (1 - SLACK - tokens) / budget.rate
                if until > self.empty_until.get(key, 0.0):
                    self.empty_until[key] = until
        if len(self.empty_until) > MAX_MEMORY_KEYS:
            self.empty_until = {k: t for k, t in self.empty_until.items() if t > asked}

    def _alone(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        self.decisions["alone"] += 1
        self.breaker.decided_alone += 1
        return self.local.take_now(buckets, strike_key)

    def _probe_when_due(self) -> None:
        if self.breaker.due():
            self._spawn(self._probe())

    async def _probe(self) -> None:
        try:
            await self.primary.ping()
        except _redis_errors() as exc:
            self.breaker.probed(exc)
        else:
            self.breaker.probed(None)

    # --- strikes counted here --------------------------------------------------------------

    def _strike_here(self, strike_key: str, now: float) -> int:
        count = self.local.strike(strike_key, now)
        if self.breaker.up:
            self.strikes_to_add[strike_key] += 1
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self._spawn(self._flush_strikes())
        return count

    async def _flush_strikes(self) -> None:
        await asyncio.sleep(STRIKE_FLUSH_S)
        self._flush_scheduled = False
        pending, self.strikes_to_add = self.strikes_to_add, Counter()
        names = list(pending)
        for start in range(0, len(names), STRIKE_FLUSH_KEYS):
            chunk = {name: pending[name] for name in names[start : start + STRIKE_FLUSH_KEYS]}
            try:
                totals = await self.primary.add_strikes(chunk)
            except _redis_errors() as exc:
                self.breaker.failed(exc)
                return
            now = self.clock()
            for name, total in totals.items():
                count, _ = self.local.strikes.get(name, (0, now))
                at_least = total + self.strikes_to_add[name]
                if at_least > count:
                    self.local.strike(name, now, at_least=at_least)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- queue and WebSocket counts: Redis, or this process while it does not answer ------

    async def _call(self, method: str, *args: Any) -> Any:
        if not self.breaker.up:
            self._probe_when_due()
            return await getattr(self.local, method)(*args)
        try:
            return await getattr(self.primary, method)(*args)
        except _redis_errors() as exc:
            self.breaker.failed(exc)
            return await getattr(self.local, method)(*args)

    async def queue_enter(self, rate: float, burst: float) -> tuple[int, float]:
        result: tuple[int, float] = await self._call("queue_enter", rate, burst)
        return result

    async def queue_position(self, rate: float, burst: float) -> tuple[float, int]:
        result: tuple[float, int] = await self._call("queue_position", rate, burst)
        return result

    async def ws_open(self, limits: Sequence[tuple[str, int]]) -> bool:
        result: bool = await self._call("ws_open", limits)
        return result

    async def ws_close(self, keys: Sequence[str]) -> None:
        await self._call("ws_close", keys)
