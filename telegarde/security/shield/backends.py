"""Where budgets, the virtual queue and WebSocket counts live: this process's memory
(embedded profile), or Redis shared by every instance (atomic Lua scripts).

``FailSafeBackend`` puts Redis first and this process's memory behind it: when Redis
stops answering, the shield keeps enforcing local limits (never all-open, never
all-closed), records the fact once, and tries Redis again a few seconds later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .buckets import queue_head, refill, wait_for_token
from .config import Budget

logger = logging.getLogger(__name__)

STRIKE_WINDOW_S = 60
WS_COUNT_TTL_S = 6 * 3600  # a crashed process's connections stop counting after this
MAX_MEMORY_KEYS = 200_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    limited_by: int = -1  # index of the bucket that refused
    strikes: int = 0  # refusals of this client in the current minute


ALLOWED = Verdict(True)


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    async def take(
        self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None
    ) -> Verdict: ...

    async def queue_enter(self, rate: float, burst: float) -> tuple[int, float]: ...

    async def queue_position(self, rate: float, burst: float) -> tuple[float, int]: ...

    async def ws_open(self, limits: Sequence[tuple[str, int]]) -> bool: ...

    async def ws_close(self, keys: Sequence[str]) -> None: ...


class MemoryBackend:
    """This process only: budgets are per worker process."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.strikes: dict[str, tuple[int, float]] = {}
        # head, tail, last update; a new queue starts with its burst saved up
        self.queue: tuple[float, int, float] | None = None
        self.ws: dict[str, int] = {}

    def take_now(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        now = self.clock()
        levels: list[float] = []
        wait, limited = 0.0, -1
        for index, (key, budget) in enumerate(buckets):
            tokens, last = self.buckets.get(key, (budget.burst, now))
            tokens = refill(tokens, last, now, budget)
            levels.append(tokens)
            needed = wait_for_token(tokens, budget)
            if needed > wait:
                wait, limited = needed, index
        if limited < 0:
            for (key, _), tokens in zip(buckets, levels, strict=True):
                self.buckets[key] = (tokens - 1, now)
            if len(self.buckets) > MAX_MEMORY_KEYS:
                self._sweep(now)
            return ALLOWED
        strikes = 0
        if strike_key is not None:
            count, since = self.strikes.get(strike_key, (0, now))
            if now - since >= STRIKE_WINDOW_S:
                count, since = 0, now
            strikes = count + 1
            self.strikes[strike_key] = (strikes, since)
            if len(self.strikes) > MAX_MEMORY_KEYS:
                self.strikes.clear()
        return Verdict(False, wait, limited, strikes)

    def _sweep(self, now: float) -> None:
        # Buckets idle for a minute are full again or close to it: forgetting them is
        # at worst a small gift of tokens, and keeps memory bounded under a flood.
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        if len(self.buckets) > MAX_MEMORY_KEYS:
            self.buckets.clear()

    async def take(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        return self.take_now(buckets, strike_key)

    def _queue_state(self, burst: float) -> tuple[float, int, float]:
        if self.queue is None:
            self.queue = (burst, 0, self.clock())
        return self.queue

    async def queue_enter(self, rate: float, burst: float) -> tuple[int, float]:
        head, tail, last = self._queue_state(burst)
        now = self.clock()
        head = queue_head(head, tail, last, now, rate, burst)
        tail += 1
        self.queue = (head, tail, now)
        return tail, head

    async def queue_position(self, rate: float, burst: float) -> tuple[float, int]:
        head, tail, last = self._queue_state(burst)
        now = self.clock()
        head = queue_head(head, tail, last, now, rate, burst)
        self.queue = (head, tail, now)
        return head, tail

    async def ws_open(self, limits: Sequence[tuple[str, int]]) -> bool:
        if any(self.ws.get(key, 0) >= limit for key, limit in limits):
            return False
        for key, _ in limits:
            self.ws[key] = self.ws.get(key, 0) + 1
        return True

    async def ws_close(self, keys: Sequence[str]) -> None:
        for key in keys:
            count = self.ws.get(key, 0) - 1
            if count > 0:
                self.ws[key] = count
            else:
                self.ws.pop(key, None)


# Redis keeps floats as strings: Lua numbers returned to the client would be truncated
# to integers, hence tostring(). TIME is the Redis server's clock, shared by instances.
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = tonumber(ARGV[1])
local with_strikes = ARGV[2] == '1'
local wait, limited = 0, 0
local levels = {}
for i = 1, n do
  local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local v = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if tokens == nil or ts == nil then tokens, ts = burst, now end
  if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) end
  levels[i] = tokens
  if tokens < 1 then
    local w = (1 - tokens) / rate
    if w > wait then wait, limited = w, i end
  end
end
if limited == 0 then
  for i = 1, n do
    local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
    redis.call('HSET', KEYS[i], 't', tostring(levels[i] - 1), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
  end
  return {1, '0', 0, 0}
end
local strikes = 0
if with_strikes then
  strikes = redis.call('INCR', KEYS[n + 1])
  if strikes == 1 then redis.call('EXPIRE', KEYS[n + 1], tonumber(ARGV[3 + 2 * n])) end
end
return {0, tostring(wait), limited, strikes}
"""

QUEUE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'head', 'tail', 'ts')
local head, tail, ts = tonumber(v[1]) or burst, tonumber(v[2]) or 0, tonumber(v[3]) or now
if now > ts then head = head + (now - ts) * rate end
head = math.min(head, tail + burst)
if ARGV[1] == 'enter' then tail = tail + 1 end
redis.call('HSET', KEYS[1], 'head', tostring(head), 'tail', tail, 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 86400)
return {tostring(head), tail}
"""

WS_OPEN_SCRIPT = """
for i = 1, #KEYS do
  if (tonumber(redis.call('GET', KEYS[i])) or 0) >= tonumber(ARGV[i + 1]) then return 0 end
end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1]))
end
return 1
"""

WS_CLOSE_SCRIPT = """
for i = 1, #KEYS do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
return 1
"""


class RedisBackend:
    """Budgets shared by every instance through one Redis (not Redis Cluster: a
    script's keys must live on one node)."""

    name = "redis"

    def __init__(self, url: str, prefix: str, *, timeout: float = 0.5) -> None:
        import redis.asyncio as aioredis

        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=64,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self.client = aioredis.Redis(connection_pool=pool)
        self.prefix = prefix
        self._take = self.client.register_script(TAKE_SCRIPT)
        self._queue = self.client.register_script(QUEUE_SCRIPT)
        self._ws_open = self.client.register_script(WS_OPEN_SCRIPT)
        self._ws_close = self.client.register_script(WS_CLOSE_SCRIPT)

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{name}"

    async def take(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        keys = [self.key("b", key) for key, _ in buckets]
        args: list[Any] = [len(buckets), "1" if strike_key else "0"]
        for _, budget in buckets:
            args.extend((repr(budget.rate), repr(budget.burst)))
        if strike_key:
            keys.append(self.key("s", strike_key))
            args.append(STRIKE_WINDOW_S)
        allowed, wait, limited, strikes = await self._take(keys=keys, args=args)
        if int(allowed):
            return ALLOWED
        return Verdict(False, float(wait), int(limited) - 1, int(strikes))

    async def queue_enter(self, rate: float, burst: float) -> tuple[int, float]:
        head, tail = await self._queue(
            keys=[self.key("q", "booking")], args=["enter", repr(rate), repr(burst)]
        )
        return int(tail), float(head)

    async def queue_position(self, rate: float, burst: float) -> tuple[float, int]:
        head, tail = await self._queue(
            keys=[self.key("q", "booking")], args=["peek", repr(rate), repr(burst)]
        )
        return float(head), int(tail)

    async def ws_open(self, limits: Sequence[tuple[str, int]]) -> bool:
        keys = [self.key("ws", key) for key, _ in limits]
        args = [WS_COUNT_TTL_S, *(limit for _, limit in limits)]
        return bool(int(await self._ws_open(keys=keys, args=args)))

    async def ws_close(self, keys: Sequence[str]) -> None:
        await self._ws_close(keys=[self.key("ws", key) for key in keys], args=[])


class FailSafeBackend:
    """Redis first; this process's memory while Redis is unreachable."""

    RETRY_AFTER_S = 5.0

    def __init__(
        self,
        primary: RedisBackend,
        fallback: MemoryBackend,
        on_change: Callable[[str, str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.on_change = on_change  # ("failed_over" | "recovered", detail)
        self.clock = clock
        self.down_until: float | None = None

    @property
    def name(self) -> str:
        return "memory-fallback" if self.down_until is not None else "redis"

    async def _call(self, method: str, *args: Any) -> Any:
        import redis

        if self.down_until is not None and self.clock() < self.down_until:
            return await getattr(self.fallback, method)(*args)
        try:
            result = await getattr(self.primary, method)(*args)
        except (redis.RedisError, OSError, TimeoutError) as exc:
            if self.down_until is None:
                logger.error("shield: Redis unreachable (%s); using local limits", exc)
                self.on_change("failed_over", type(exc).__name__)
            self.down_until = self.clock() + self.RETRY_AFTER_S
            return await getattr(self.fallback, method)(*args)
        if self.down_until is not None:
            self.down_until = None
            logger.warning("shield: Redis answers again; shared limits restored")
            self.on_change("recovered", "")
        return result

    async def take(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        verdict: Verdict = await self._call("take", buckets, strike_key)
        return verdict

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
