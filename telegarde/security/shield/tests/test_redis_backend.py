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

from telegarde.security.shield.backends import MemoryBackend, RedisBackend
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


def test_it_tells_the_tokens_each_bucket_has_left(prefix: str) -> None:
    async def scenario() -> list[tuple[bool, tuple[float, ...]]]:
        backend = RedisBackend(URL, prefix)
        buckets = [("a", Budget(0.001, 3)), ("b", Budget(0.001, 2))]
        return [((v := await backend.take(buckets, None)).allowed, v.levels) for _ in range(3)]

    results = asyncio.run(scenario())
    assert [allowed for allowed, _ in results] == [True, True, False]
    expected = [(2, 1), (1, 0), (1, 0)]
    for (_, levels), want in zip(results, expected, strict=True):
        assert levels == pytest.approx(want, abs=0.01)


def test_it_sends_requests_asked_together_in_one_pipeline(prefix: str) -> None:
    async def scenario() -> tuple[int, int]:
        backend = RedisBackend(URL, prefix)
        sent: list[int] = []
        evalsha_all = backend._evalsha_all

        async def counting(calls: list[list[object]]) -> list[object]:
            sent.append(len(calls))
            return await evalsha_all(calls)

        backend._evalsha_all = counting  # type: ignore[method-assign]
        budget = Budget(0.001, 30)
        verdicts = await asyncio.gather(
            *(backend.take([(f"k{i % 3}", budget)], None) for i in range(60))
        )
        return sum(v.allowed for v in verdicts), len(sent)

    allowed, pipelines = asyncio.run(scenario())
    assert allowed == 60
    assert pipelines <= 3  # the first call also loads the script


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
