"""Where budgets, the virtual queue and WebSocket counts live: this process's memory
(embedded profile), or Redis shared by every instance (atomic Lua scripts).

``shared.SharedBackend`` puts this process's memory in front of Redis (it refuses
locally what Redis would certainly refuse) and behind it (local limits while Redis
does not answer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
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
    # Redis backend: each bucket's tokens after the decision, on Redis's clock.
    levels: tuple[float, ...] = ()


ALLOWED = Verdict(True)


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    async def take(
        self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None
    ) -> Verdict: ...

    def decide_here(
        self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None
    ) -> Verdict | None:
        """The verdict when this process can give it without a round trip, else None."""
        ...

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
        strikes = 0 if strike_key is None else self.strike(strike_key, now)
        return Verdict(False, wait, limited, strikes)

    def strike(self, key: str, now: float, *, at_least: int = 0) -> int:
        """Count one refusal of ``key`` in its current minute (and at least
        ``at_least``); the count."""
        count, since = self.strikes.get(key, (0, now))
        if now - since >= STRIKE_WINDOW_S:
            count, since = 0, now
        count = max(count + 1, at_least)
        self.strikes[key] = (count, since)
        if len(self.strikes) > MAX_MEMORY_KEYS:
            self.strikes.clear()
        return count

    def spend(self, buckets: Sequence[tuple[str, Budget]], credit_s: float) -> None:
        """Take one token from each bucket, as Redis did up to ``credit_s`` seconds ago:
        what the buckets would have refilled since, had they been full, is given back,
        so a late copy of Redis's debit never leaves fewer tokens than Redis has."""
        now = self.clock()
        for key, budget in buckets:
            tokens, last = self.buckets.get(key, (budget.burst, now))
            tokens = refill(tokens, last, now, budget) - 1 + credit_s * budget.rate
            self.buckets[key] = (min(budget.burst, tokens), now)
        if len(self.buckets) > MAX_MEMORY_KEYS:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        # Buckets idle for a minute are full again or close to it: forgetting them is
        # at worst a small gift of tokens, and keeps memory bounded under a flood.
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        if len(self.buckets) > MAX_MEMORY_KEYS:
            self.buckets.clear()

    async def take(self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None) -> Verdict:
        return self.take_now(buckets, strike_key)

    def decide_here(
        self, buckets: Sequence[tuple[str, Budget]], strike_key: str | None
    ) -> Verdict | None:
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
local reply = {0, tostring(wait), limited, 0}
if limited == 0 then
  reply[1] = 1
  for i = 1, n do
    local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
    levels[i] = levels[i] - 1
    redis.call('HSET', KEYS[i], 't', tostring(levels[i]), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
  end
elseif with_strikes then
  reply[4] = redis.call('INCR', KEYS[n + 1])
  if reply[4] == 1 then redis.call('EXPIRE', KEYS[n + 1], tonumber(ARGV[3 + 2 * n])) end
end
for i = 1, n do reply[4 + i] = tostring(levels[i]) end
return reply
"""

# Refusals counted by a process without asking Redis, added in one call now and then.
STRIKES_SCRIPT = """
local counts = {}
for i = 1, #KEYS do
  local added = tonumber(ARGV[i + 1])
  counts[i] = redis.call('INCRBY', KEYS[i], added)
  if counts[i] == added then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1])) end
end
return counts
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
    script's keys must live on one node).

    A budget decision asked while nothing else is in flight goes at once; the ones asked
    while ``MAX_PIPELINES`` are in flight wait and leave together in the next pipeline:
    one round trip and one connection for all of them, however many arrive at once."""

    name = "redis"
    MAX_PIPELINES = 2
    MAX_BATCH = 256

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
        self._strikes = self.client.register_script(STRIKES_SCRIPT)
        self._queue = self.client.register_script(QUEUE_SCRIPT)
        self._ws_open = self.client.register_script(WS_OPEN_SCRIPT)
        self._ws_close = self.client.register_script(WS_CLOSE_SCRIPT)
        self._asked: list[tuple[list[Any], asyncio.Future[list[Any]]]] = []
        self._pipelines = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

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
        call = [len(keys), *keys, *args]
        if self._pipelines or self._asked:
            future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
            self._asked.append((call, future))
            self._schedule()
            reply = await future
        else:
            reply = await self._ask_now(call)
        allowed, wait, limited, strikes, *levels = reply
        return Verdict(
            bool(int(allowed)),
            float(wait),
            int(limited) - 1,
            int(strikes),
            tuple(float(level) for level in levels),
        )

    async def _ask_now(self, call: list[Any]) -> list[Any]:
        # Nothing else asked or in flight: this request's task asks Redis itself, and the
        # requests that arrive meanwhile form the next pipeline.
        from redis.exceptions import NoScriptError

        self._pipelines += 1
        try:
            try:
                reply: list[Any] = await self.client.evalsha(self._take.sha, *call)
            except NoScriptError:
                await self.client.script_load(TAKE_SCRIPT)
                reply = await self.client.evalsha(self._take.sha, *call)
        finally:
            self._pipelines -= 1
            self._schedule()
        return reply

    def _schedule(self) -> None:
        # Next turn of the event loop, so that requests decided in this one go together.
        if not self._scheduled and self._asked and self._pipelines < self.MAX_PIPELINES:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._send_batch)

    def _send_batch(self) -> None:
        self._scheduled = False
        batch, self._asked = self._asked[: self.MAX_BATCH], self._asked[self.MAX_BATCH :]
        batch = [(call, future) for call, future in batch if not future.done()]
        if not batch:
            return self._schedule()
        self._pipelines += 1
        task = asyncio.get_running_loop().create_task(self._pipeline(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _pipeline(self, batch: list[tuple[list[Any], asyncio.Future[list[Any]]]]) -> None:
        from redis.exceptions import NoScriptError

        replies: list[Any]
        try:
            replies = await self._evalsha_all([call for call, _ in batch])
            again = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if again:
                # Redis restarted or flushed its scripts: load it, ask those again once.
                await self.client.script_load(TAKE_SCRIPT)
                retried = await self._evalsha_all([batch[i][0] for i in again])
                for index, reply in zip(again, retried, strict=True):
                    replies[index] = reply
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            replies = [exc] * len(batch)
        finally:
            self._pipelines -= 1
            self._schedule()
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():
                continue  # the request went away meanwhile
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _evalsha_all(self, calls: list[list[Any]]) -> list[Any]:
        """The replies, a script's error as its reply (as a pipeline gives them)."""
        from redis.exceptions import ResponseError

        if len(calls) == 1:  # a pipeline costs a quarter more for one call
            try:
                return [await self.client.evalsha(self._take.sha, *calls[0])]
            except ResponseError as exc:
                return [exc]
        async with self.client.pipeline(transaction=False) as pipe:
            for call in calls:
                pipe.evalsha(self._take.sha, *call)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies

    async def add_strikes(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Add refusals counted elsewhere to the strike keys; their new counts."""
        names = list(counts)
        totals = await self._strikes(
            keys=[self.key("s", name) for name in names],
            args=[STRIKE_WINDOW_S, *(counts[name] for name in names)],
        )
        return {name: int(total) for name, total in zip(names, totals, strict=True)}

    async def ping(self) -> None:
        await self.client.ping()

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
