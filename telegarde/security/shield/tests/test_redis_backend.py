"""The Redis backend against the real Redis: shared budgets, atomic scripts, fail-safe.

Runs against TELEGARDE_REDIS_URL when set (CI's second pass), else the local Redis at
127.0.0.1:6379; skipped only when neither answers.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from telegarde.security.shield.backends import FailSafeBackend, MemoryBackend, RedisBackend
from telegarde.security.shield.config import Budget

URL = os.environ.get("TELEGARDE_REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {URL}")
    name = f"{os.environ.get('TELEGARDE_REDIS_PREFIX', 'test')}:shield-test:{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def test_it_shares_one_budget_between_instances(prefix: str) -> None:
    async def scenario() -> list[bool]:
        first, second = RedisBackend(URL, prefix), RedisBackend(URL, prefix)
        budget = Budget(0.01, 5)
        results = []
        for index in range(8):
            backend = first if index % 2 else second
            results.append((await backend.take([("ip:1.2.3.4:page", budget)], None)).allowed)
        return results

    assert asyncio.run(scenario()) == [True] * 5 + [False] * 3


def test_it_is_atomic_under_concurrent_requests(prefix: str) -> None:
    async def scenario() -> int:
        backends = [RedisBackend(URL, prefix, timeout=5.0) for _ in range(4)]
        budget = Budget(0.001, 50)
        verdicts = await asyncio.gather(
            *(backends[i % 4].take([("k", budget)], None) for i in range(200))
        )
        return sum(v.allowed for v in verdicts)

    assert asyncio.run(scenario()) == 50


def test_it_gives_the_same_answers_as_memory(prefix: str) -> None:
    async def scenario() -> tuple[list[tuple[bool, int]], list[tuple[bool, int]]]:
        buckets = [("a", Budget(0.01, 3)), ("b", Budget(0.01, 2))]
        remote, local = RedisBackend(URL, prefix), MemoryBackend()
        r = [await remote.take(buckets, "1.2.3.4") for _ in range(4)]
        m = [await local.take(buckets, "1.2.3.4") for _ in range(4)]
        return [(v.allowed, v.limited_by) for v in r], [(v.allowed, v.limited_by) for v in m]

    remote, local = asyncio.run(scenario())
    assert remote == local == [(True, -1), (True, -1), (False, 1), (False, 1)]


def test_it_counts_strikes_and_retry_after(prefix: str) -> None:
    async def scenario() -> list[tuple[int, float]]:
        backend = RedisBackend(URL, prefix)
        budget = Budget(2, 1)
        await backend.take([("k", budget)], "9.9.9.9")
        return [
            ((v := await backend.take([("k", budget)], "9.9.9.9")).strikes, v.retry_after)
            for _ in range(3)
        ]

    results = asyncio.run(scenario())
    assert [strikes for strikes, _ in results] == [1, 2, 3]
    assert all(0 < wait <= 0.5 for _, wait in results)


def test_it_numbers_queue_tickets_across_instances(prefix: str) -> None:
    async def scenario() -> list[int]:
        first, second = RedisBackend(URL, prefix), RedisBackend(URL, prefix)
        tickets = []
        for index in range(6):
            backend = first if index % 2 else second
            ticket, _ = await backend.queue_enter(0.001, 2.0)
            tickets.append(ticket)
        head, tail = await first.queue_position(0.001, 2.0)
        assert tail == 6 and 2.0 <= head < 2.1
        return tickets

    assert asyncio.run(scenario()) == [1, 2, 3, 4, 5, 6]


def test_it_caps_websocket_connections_across_instances(prefix: str) -> None:
    async def scenario() -> list[bool]:
        first, second = RedisBackend(URL, prefix), RedisBackend(URL, prefix)
        limits = [("ip:1.2.3.4", 2)]
        opened = [await first.ws_open(limits), await second.ws_open(limits)]
        opened.append(await first.ws_open(limits))
        await second.ws_close(["ip:1.2.3.4"])
        opened.append(await first.ws_open(limits))
        return opened

    assert asyncio.run(scenario()) == [True, True, False, True]


def test_it_falls_back_to_local_limits_when_redis_is_unreachable() -> None:
    changes: list[str] = []

    async def scenario() -> list[bool]:
        # Nothing listens on port 1: every call fails at once.
        dead = RedisBackend("redis://127.0.0.1:1/0", "dead", timeout=0.2)
        backend = FailSafeBackend(dead, MemoryBackend(), lambda c, d: changes.append(c))
        budget = Budget(0.01, 3)
        results = [(await backend.take([("k", budget)], None)).allowed for _ in range(5)]
        assert backend.name == "memory-fallback"
        return results

    # Never all-open, never all-closed: the local budget still applies.
    assert asyncio.run(scenario()) == [True, True, True, False, False]
    assert changes == ["failed_over"]


def test_it_returns_to_redis_when_it_answers_again(prefix: str) -> None:
    changes: list[str] = []
    now = [0.0]

    async def scenario() -> str:
        live = RedisBackend(URL, prefix)
        backend = FailSafeBackend(
            live, MemoryBackend(), lambda c, d: changes.append(c), lambda: now[0]
        )
        good_client = live.client
        live.client = redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0")
        live._take = live.client.register_script(live._take.script)
        await backend.take([("k", Budget(1, 1))], None)
        live.client = good_client
        live._take = good_client.register_script(live._take.script)
        now[0] += FailSafeBackend.RETRY_AFTER_S + 1
        await backend.take([("k", Budget(1, 1))], None)
        return backend.name

    assert asyncio.run(scenario()) == "redis"
    assert changes == ["failed_over", "recovered"]
