"""Where budgets live: the database (embedded profile, survives restarts) or Redis
(shared by every instance). Both check and reserve all of an attempt's budgets in one
atomic step, so 100 simultaneous attempts never get more than the budget evaluated."""

from __future__ import annotations

import logging
import math
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.db import transaction

from .budgets import Backend, Budget, Decision, backoff_wait
from .models import ThrottleState

logger = logging.getLogger(__name__)


def _denial(
    budget: Budget, count: int, start: float, consecutive: int, last: float, now: float
) -> float:
    """Seconds until ``budget`` admits another attempt; 0 when it admits one now."""
    if now - start >= budget.window:
        count = 0
    wait = 0.0
    if count >= budget.limit:
        wait = start + budget.window - now
    return max(wait, backoff_wait(budget, consecutive, last, now))


class DatabaseBackend:
    def reserve(self, budgets: list[Budget], now: float) -> Decision:
        keys = sorted(b.key for b in budgets)  # one lock order: no deadlocks
        with transaction.atomic():
            ThrottleState.objects.bulk_create(
                [ThrottleState(key=k, window_start=now) for k in keys], ignore_conflicts=True
            )
            states = {
                s.key: s
                for s in ThrottleState.objects.select_for_update()
                .filter(key__in=keys)
                .order_by("key")
            }
            worst = Decision(True)
            for budget in budgets:
                s = states[budget.key]
                wait = _denial(budget, s.count, s.window_start, s.consecutive, s.last_at, now)
                if wait > worst.retry_after:
                    worst = Decision(False, math.ceil(wait), budget.scope)
            if not worst.allowed:
                return worst
            for budget in budgets:
                s = states[budget.key]
                if now - s.window_start >= budget.window:
                    s.count, s.window_start = 0, now
                s.count += 1
                s.consecutive += 1
                s.last_at = now
                s.save(update_fields=["count", "window_start", "consecutive", "last_at"])
        return Decision(True, streak=states[budgets[-1].key].consecutive)

    def settle_success(self, budgets: list[Budget]) -> None:
        with transaction.atomic():
            for state in ThrottleState.objects.select_for_update().filter(
                key__in=[b.key for b in budgets]
            ):
                state.count = max(0, state.count - 1)
                state.consecutive = 0
                state.save(update_fields=["count", "consecutive"])

    def refund(self, budgets: list[Budget]) -> None:
        with transaction.atomic():
            for state in ThrottleState.objects.select_for_update().filter(
                key__in=[b.key for b in budgets]
            ):
                state.count = max(0, state.count - 1)
                state.consecutive = max(0, state.consecutive - 1)
                state.save(update_fields=["count", "consecutive"])

    def reset(self) -> None:
        ThrottleState.objects.all().delete()


# KEYS: budget keys. ARGV: now, then per key: limit, window, free_failures, base, cap, ttl.
# Returns {1, 0, ""} when reserved, or {0, retry_after, index} naming the first worst key.
_RESERVE = """
local now = tonumber(ARGV[1])
local worst, worst_i = 0, 0
local states = {}
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 6
  local limit, window = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])
  local free, base, cap = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local h = redis.call('HMGET', key, 'count', 'start', 'consec', 'last')
  local count, start = tonumber(h[1] or 0), tonumber(h[2] or now)
  local consec, last = tonumber(h[3] or 0), tonumber(h[4] or 0)
  if now - start >= window then count = 0; start = now end
  local wait = 0
  if count >= limit then wait = start + window - now end
  if free > 0 and consec >= free then
    local delay = math.min(base * 2 ^ (consec - free), cap)
    wait = math.max(wait, last + delay - now)
  end
  if wait > worst then worst = wait; worst_i = i end
  states[i] = {count, start, consec}
end
if worst > 0 then return {0, math.ceil(worst), worst_i, 0} end
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 6
  local s = states[i]
  redis.call('HSET', key, 'count', s[1] + 1, 'start', s[2], 'consec', s[3] + 1, 'last', now)
  redis.call('EXPIRE', key, tonumber(ARGV[o + 6]))
end
return {1, 0, 0, states[#KEYS][3] + 1}
"""

_SETTLE = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local count = tonumber(redis.call('HGET', key, 'count') or 0)
    redis.call('HSET', key, 'count', math.max(0, count - 1), 'consec', 0)
  end
end
return 1
"""

_REFUND = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local h = redis.call('HMGET', key, 'count', 'consec')
    local count, consec = tonumber(h[1] or 0), tonumber(h[2] or 0)
    redis.call('HSET', key, 'count', math.max(0, count - 1), 'consec', math.max(0, consec - 1))
  end
end
return 1
"""


class RedisBackend:
    def __init__(self, url: str, prefix: str, *, timeout: float = 2.0) -> None:
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.prefix = f"{prefix}:throttle:"
        self._reserve = self.client.register_script(_RESERVE)
        self._settle = self.client.register_script(_SETTLE)
        self._refund = self.client.register_script(_REFUND)

    def reserve(self, budgets: list[Budget], now: float) -> Decision:
        args: list[Any] = [now]
        for b in budgets:
            ttl = max(b.window, b.backoff_cap) + 60
            args += [b.limit, b.window, b.free_failures, b.backoff_base, b.backoff_cap, ttl]
        allowed, retry, index, streak = self._reserve(
            keys=[self.prefix + b.key for b in budgets], args=args
        )
        if allowed:
            return Decision(True, streak=int(streak))
        return Decision(False, int(retry), budgets[int(index) - 1].scope)

    def settle_success(self, budgets: list[Budget]) -> None:
        self._settle(keys=[self.prefix + b.key for b in budgets])

    def refund(self, budgets: list[Budget]) -> None:
        self._refund(keys=[self.prefix + b.key for b in budgets])

    def reset(self) -> None:
        for key in self.client.scan_iter(match=self.prefix + "*", count=1000):
            self.client.delete(key)


class FailSafeBackend:
    """Redis first; when it does not answer, the database keeps the budgets (this
    instance's view only, until Redis is back) rather than letting every attempt through
    or refusing everyone."""

    def __init__(self, primary: RedisBackend) -> None:
        self.primary = primary
        self.fallback = DatabaseBackend()

    def _call(self, method: str, *args: Any) -> Any:
        import redis

        try:
            return getattr(self.primary, method)(*args)
        except redis.RedisError:
            logger.error("sign-in budgets: Redis unavailable, using the database meanwhile")
            return getattr(self.fallback, method)(*args)

    def reserve(self, budgets: list[Budget], now: float) -> Decision:
        return cast(Decision, self._call("reserve", budgets, now))

    def settle_success(self, budgets: list[Budget]) -> None:
        self._call("settle_success", budgets)

    def refund(self, budgets: list[Budget]) -> None:
        self._call("refund", budgets)

    def reset(self) -> None:
        self._call("reset")


@cache
def backend() -> Backend:
    if settings.REDIS_URL:
        return FailSafeBackend(RedisBackend(settings.REDIS_URL, settings.REDIS_PREFIX))
    return DatabaseBackend()
