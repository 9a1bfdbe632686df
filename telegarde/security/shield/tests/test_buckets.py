"""Token buckets (memory backend), with a clock the test controls."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from telegarde.security.shield.backends import MemoryBackend
from telegarde.security.shield.buckets import queue_head, refill
from telegarde.security.shield.config import Budget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 50),
    steps=st.lists(st.floats(0, 2), min_size=1, max_size=60),
)
def test_it_never_admits_more_than_burst_plus_refill(
    rate: float, burst: int, steps: list[float]
) -> None:
    clock = Clock()
    backend = MemoryBackend(clock)
    budget = Budget(rate, burst)
    admitted, start = 0, clock.now
    for step in steps:
        clock.now += step
        if backend.take_now([("k", budget)], None).allowed:
            admitted += 1
    assert admitted <= burst + rate * (clock.now - start) + 1e-6


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(0.5, 50), burst=st.integers(1, 30))
def test_it_admits_a_full_burst_then_refuses_with_a_truthful_retry_after(
    rate: float, burst: int
) -> None:
    clock = Clock()
    backend = MemoryBackend(clock)
    budget = Budget(rate, burst)
    for _ in range(burst):
        assert backend.take_now([("k", budget)], None).allowed
    refused = backend.take_now([("k", budget)], None)
    assert not refused.allowed
    clock.now += refused.retry_after + 1e-6
    assert backend.take_now([("k", budget)], None).allowed


def test_it_consumes_from_no_bucket_when_one_refuses() -> None:
    clock = Clock()
    backend = MemoryBackend(clock)
    wide, narrow = Budget(10, 10), Budget(1, 1)
    assert backend.take_now([("a", wide), ("b", narrow)], None).allowed
    verdict = backend.take_now([("a", wide), ("b", narrow)], None)
    assert not verdict.allowed and verdict.limited_by == 1
    # "a" kept its tokens: 9 more requests fit on it alone.
    assert all(backend.take_now([("a", wide)], None).allowed for _ in range(9))


def test_it_counts_strikes_per_minute() -> None:
    clock = Clock()
    backend = MemoryBackend(clock)
    budget = Budget(1, 1)
    backend.take_now([("k", budget)], "1.2.3.4")
    strikes = [backend.take_now([("k", budget)], "1.2.3.4").strikes for _ in range(3)]
    assert strikes == [1, 2, 3]
    clock.now += 61
    backend.take_now([("k", budget)], "1.2.3.4")
    assert backend.take_now([("k", budget)], "1.2.3.4").strikes == 1


@given(
    head=st.floats(0, 1000),
    tail=st.integers(0, 1000),
    dt=st.floats(0, 100),
    rate=st.floats(0.1, 50),
    burst=st.floats(1, 20),
)
def test_it_advances_the_queue_line_at_rate_and_never_too_far_ahead(
    head: float, tail: int, dt: float, rate: float, burst: float
) -> None:
    head = min(head, tail + burst)
    after = queue_head(head, tail, 0.0, dt, rate, burst)
    assert after >= head - 1e-9
    assert after <= tail + burst + 1e-9
    assert after <= head + dt * rate + 1e-6


@given(tokens=st.floats(-5, 50), dt=st.floats(-10, 100), rate=st.floats(0.1, 100))
def test_it_refills_monotonically_up_to_burst(tokens: float, dt: float, rate: float) -> None:
    budget = Budget(rate, 50)
    level = refill(tokens, 10.0, 10.0 + dt, budget)
    assert level >= tokens - 1e-9 or level == budget.burst
    assert level <= max(tokens, budget.burst)


def test_it_serves_a_virtual_queue_in_ticket_order() -> None:
    clock = Clock()
    backend = MemoryBackend(clock)

    async def scenario() -> list[tuple[int, float]]:
        return [await backend.queue_enter(1.0, 2.0) for _ in range(5)]

    entries = asyncio.run(scenario())
    tickets = [ticket for ticket, _ in entries]
    assert tickets == [1, 2, 3, 4, 5]
    admitted_now = [ticket for ticket, head in entries if ticket <= head]
    assert admitted_now == [1, 2]  # the saved-up capacity (burst 2), then the queue
