from __future__ import annotations

import threading

from telegarde.lib.background import BackgroundQueue


def test_it_hands_every_item_over_in_batches_and_reports_idle() -> None:
    seen: list[list[int]] = []
    worker: BackgroundQueue[int] = BackgroundQueue(seen.append, name="t", capacity=100, batch=10)
    for n in range(35):
        assert worker.put(n)
    assert worker.wait_idle(5)
    assert sorted(n for batch in seen for n in batch) == list(range(35))
    assert all(len(batch) <= 10 for batch in seen)
    assert worker.processed == 35


def test_it_drops_and_counts_when_full_without_blocking_the_producer() -> None:
    gate = threading.Event()

    def blocked(batch: list[int]) -> None:
        gate.wait(5)

    worker: BackgroundQueue[int] = BackgroundQueue(blocked, name="t", capacity=2)
    results = [worker.put(n) for n in range(6)]
    assert results.count(False) >= 3
    assert worker.dropped == results.count(False)
    gate.set()
    assert worker.wait_idle(5)


def test_a_failing_batch_is_counted_and_the_thread_carries_on() -> None:
    handled: list[int] = []

    def handle(batch: list[int]) -> None:
        if batch[0] == 1:
            raise RuntimeError("boom")
        handled.extend(batch)

    worker: BackgroundQueue[int] = BackgroundQueue(handle, name="t", capacity=10)
    for n in range(3):
        worker.put(n)
    assert worker.wait_idle(5)
    assert handled == [0, 2]
    assert worker.errors == 1 and "boom" in worker.last_error
