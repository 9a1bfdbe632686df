"""The priority scheduler: invariants under any sequence, and who goes first."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from telegarde.security.shield.priority import (
    HIGH,
    LOW,
    NORMAL,
    PRESSURE_S,
    Gate,
    Scheduler,
    Ticket,
)

CLASSES = ["page", "login", "static"]


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


ops = st.lists(
    st.one_of(
        st.tuples(st.just("offer"), st.sampled_from(CLASSES), st.sampled_from([HIGH, NORMAL, LOW])),
        st.tuples(st.just("finish"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("tick"), st.just(""), st.just(0)),
        st.tuples(st.just("press"), st.just(""), st.just(0)),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 8), low_slots=st.integers(1, 8), script=ops)
def test_it_keeps_its_limits_under_any_sequence(
    capacity: int, low_slots: int, script: list[tuple[str, object, int]]
) -> None:
    clock = Clock()
    limits = {"page": max(1, capacity - 1), "login": 2}
    scheduler = Scheduler(capacity, limits, low_slots, clock)
    running: list[Ticket] = []
    waiting: list[Ticket] = []
    pressed_until = 0.0

    def start(ticket: Ticket) -> None:
        if ticket.level == LOW:  # an anonymous request starts only on a free, calm worker
            assert all(t.level == LOW for t in running)
            assert clock.now >= pressed_until
        running.append(ticket)

    for op, arg, level in script:
        if op == "offer":
            ticket = Ticket(str(arg), level)
            decision = scheduler.offer(ticket)
            if decision == "run":
                start(ticket)
            elif decision == "wait":
                waiting.append(ticket)
        elif op == "finish" and running:
            ticket = running.pop(int(str(arg)) % len(running))
            for begun in scheduler.release(ticket):
                waiting.remove(begun)
                start(begun)
        elif op == "cancel" and waiting:
            ticket = waiting.pop(int(str(arg)) % len(waiting))
            scheduler.cancel(ticket)
        elif op == "tick":
            clock.now += 0.7
        elif op == "press":
            scheduler.pressed()
            pressed_until = clock.now + PRESSURE_S
        assert scheduler.running == len(running) <= capacity
        for name, limit in limits.items():
            assert sum(t.route_class == name for t in running) <= limit
        assert sum(t.level == LOW for t in running) <= min(low_slots, capacity)
        assert sum(len(q) for q in scheduler.waiting.values()) == len(waiting)
    while running:
        for started in scheduler.release(running.pop()):
            waiting.remove(started)
            running.append(started)
    assert scheduler.running == 0


def test_it_gives_a_freed_slot_to_signed_in_people_before_anonymous_ones() -> None:
    scheduler = Scheduler(2, {}, 2)
    first, second = Ticket("page", NORMAL), Ticket("page", NORMAL)
    assert scheduler.offer(first) == "run" and scheduler.offer(second) == "run"
    anonymous, patient, carer = Ticket("page", LOW), Ticket("page", NORMAL), Ticket("page", HIGH)
    for ticket in (anonymous, patient, carer):
        assert scheduler.offer(ticket) == "wait"
    assert scheduler.release(first) == [carer]
    assert scheduler.release(second) == [patient]
    assert scheduler.release(carer) == []  # anonymous waits out the pressure second


def test_it_starts_no_anonymous_request_beside_signed_in_work() -> None:
    scheduler = Scheduler(16, {}, 4)
    patient = Ticket("page", NORMAL)
    assert scheduler.offer(patient) == "run"
    anonymous = Ticket("page", LOW)
    assert scheduler.offer(anonymous) == "wait"
    assert scheduler.release(patient) == [anonymous]


def test_it_starts_no_anonymous_request_for_a_second_after_the_worker_was_pressed() -> None:
    clock = Clock()
    scheduler = Scheduler(16, {}, 4, clock)
    scheduler.pressed()
    anonymous = Ticket("page", LOW)
    assert scheduler.offer(anonymous) == "wait"  # waits out the pressure, not refused
    patient = Ticket("page", NORMAL)
    assert scheduler.offer(patient) == "run"  # signed-in people go on
    assert scheduler.release(patient) == []
    clock.now += PRESSURE_S
    assert scheduler.grant() == [anonymous]


def test_it_lets_anonymous_requests_use_their_share_of_an_idle_worker() -> None:
    scheduler = Scheduler(16, {}, 4)
    assert [scheduler.offer(Ticket("page", LOW)) for _ in range(5)] == ["run"] * 4 + ["wait"]


def test_it_refuses_an_anonymous_request_that_waited_too_long() -> None:
    async def scenario() -> tuple[Ticket | None, Ticket | None]:
        gate = Gate(Scheduler(1, {}, 1))
        busy = await gate.acquire("page", NORMAL)
        refused = await gate.acquire("page", LOW)  # waits MAX_WAIT[LOW], then None
        return busy, refused

    busy, refused = asyncio.run(scenario())
    assert busy is not None and refused is None


def test_it_hands_a_slot_to_a_waiting_request_when_one_finishes() -> None:
    async def scenario() -> bool:
        gate = Gate(Scheduler(1, {}, 1))
        busy = await gate.acquire("page", NORMAL)
        assert busy is not None
        waiter = asyncio.create_task(gate.acquire("page", HIGH))
        await asyncio.sleep(0.01)
        gate.release(busy)
        ticket = await waiter
        return ticket is not None and ticket.granted

    assert asyncio.run(scenario())


def test_it_tells_when_an_anonymous_newcomer_would_be_refused_at_once() -> None:
    from telegarde.security.shield.priority import MAX_WAITING

    scheduler = Scheduler(2, {}, 1)
    assert scheduler.offer(Ticket("page", LOW)) == "run"
    for _ in range(MAX_WAITING[LOW]):
        assert not scheduler.sheds_low()
        assert scheduler.offer(Ticket("page", LOW)) == "wait"
    assert scheduler.sheds_low()
    assert scheduler.offer(Ticket("static", LOW)) == "full"
    assert scheduler.offer(Ticket("page", NORMAL)) == "run"  # signed-in people are not shed
