"""Who is served first when a worker is saturated: the priority scheduler.

Three levels: ``HIGH`` (practitioners, staff, a consultation in progress or an
appointment today, from the signed priority claim), ``NORMAL`` (other signed-in
people) and ``LOW`` (anonymous). A worker runs at most ``capacity`` requests at once,
and at most a per-class number. Anonymous requests may hold only ``low_slots`` of the
capacity, one while signed-in requests run, none while one had to wait in the last
second: shedding starts with them (they wait briefly, then get a 503) before signed-in
people slow down.

The arithmetic (``Scheduler``) is synchronous and deterministic, for property tests;
``Gate`` puts asyncio futures and timeouts around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

HIGH, NORMAL, LOW = 0, 1, 2
LEVELS = (HIGH, NORMAL, LOW)
LEVEL_NAMES = {HIGH: "high", NORMAL: "normal", LOW: "low"}
# How long a request may wait for a slot before it is refused, per level (seconds).
MAX_WAIT = {HIGH: 20.0, NORMAL: 10.0, LOW: 2.0}
MAX_WAITING = {HIGH: 512, NORMAL: 512, LOW: 64}
PRESSURE_S = 1.0
BUSY_LOW_SLOTS = 1


@dataclass(eq=False)
class Ticket:
    route_class: str
    level: int
    order: int = 0
    granted: bool = False
    future: asyncio.Future[bool] | None = field(default=None, repr=False)


class Scheduler:
    def __init__(
        self,
        capacity: int,
        class_limits: dict[str, int],
        low_slots: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.class_limits = class_limits
        self.low_slots = max(1, min(low_slots, capacity))
        self.clock = clock
        self.running = 0
        self.running_by_class: dict[str, int] = {}
        self.running_low = 0
        self.waiting: dict[int, deque[Ticket]] = {level: deque() for level in LEVELS}
        self.pressure_until = 0.0
        self._order = itertools.count()

    def sheds_low(self) -> bool:
        """True when an anonymous request offered now would be refused at once: the
        anonymous waiting line is full, and a newcomer queues behind it."""
        return len(self.waiting[LOW]) >= MAX_WAITING[LOW]

    def low_limit(self) -> int:
        """Anonymous requests allowed to run now: none while signed-in requests had to
        wait in the last second, one while any signed-in request runs (a running request
        is never interrupted, so that one bounds what a signed-in request may share the
        CPU with), ``low_slots`` on an otherwise idle worker."""
        if self.clock() < self.pressure_until:
            return 0
        if self.running > self.running_low:
            return BUSY_LOW_SLOTS
        return self.low_slots

    def _fits(self, ticket: Ticket) -> bool:
        if self.running >= self.capacity:
            return False
        limit = self.class_limits.get(ticket.route_class, self.capacity)
        if self.running_by_class.get(ticket.route_class, 0) >= limit:
            return False
        return not (ticket.level == LOW and self.running_low >= self.low_limit())

    def _start(self, ticket: Ticket) -> None:
        ticket.granted = True
        self.running += 1
        self.running_by_class[ticket.route_class] = (
            self.running_by_class.get(ticket.route_class, 0) + 1
        )
        if ticket.level == LOW:
            self.running_low += 1

    def offer(self, ticket: Ticket) -> str:
        """``"run"``, ``"wait"`` (queued) or ``"full"`` (refuse: too many waiting)."""
        ticket.order = next(self._order)
        if not self._queued_ahead(ticket) and self._fits(ticket):
            self._start(ticket)
            return "run"
        if ticket.level != LOW and self.running >= self.capacity:
            # The worker is saturated (not merely one class at its limit): anonymous
            # requests stand aside until signed-in ones stop waiting.
            self.pressure_until = self.clock() + PRESSURE_S
        if len(self.waiting[ticket.level]) >= MAX_WAITING[ticket.level]:
            return "full"
        self.waiting[ticket.level].append(ticket)
        return "wait"

    def _queued_ahead(self, ticket: Ticket) -> bool:
        # Every waiting ticket is blocked by something (capacity, its class limit, the
        # anonymous share); one that waits for what this ticket needs goes first.
        for level in LEVELS:
            if level > ticket.level:
                break
            for waiting in self.waiting[level]:
                if waiting.route_class == ticket.route_class or waiting.level == LOW:
                    return True
        return False

    def cancel(self, ticket: Ticket) -> None:
        """A waiting ticket gave up (timeout or disconnect)."""
        if not ticket.granted:
            with contextlib.suppress(ValueError):
                self.waiting[ticket.level].remove(ticket)

    def release(self, ticket: Ticket) -> list[Ticket]:
        """``ticket`` finished: free its slot and return the tickets started in its place,
        highest level first, oldest first within a level."""
        self.running -= 1
        self.running_by_class[ticket.route_class] -= 1
        if ticket.level == LOW:
            self.running_low -= 1
        return self._grant()

    def _grant(self) -> list[Ticket]:
        started: list[Ticket] = []
        for level in LEVELS:
            queue = self.waiting[level]
            for waiting in list(queue):
                if self.running >= self.capacity:
                    return started
                if self._fits(waiting):
                    queue.remove(waiting)
                    self._start(waiting)
                    started.append(waiting)
        return started


class Gate:
    """The scheduler for one worker's event loop."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    async def acquire(self, route_class: str, level: int) -> Ticket | None:
        """A running ticket, or None when the request must be refused."""
        ticket = Ticket(route_class, level)
        decision = self.scheduler.offer(ticket)
        if decision == "run":
            return ticket
        if decision == "full":
            return None
        ticket.future = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(MAX_WAIT[level]):
                await ticket.future
        except (TimeoutError, asyncio.CancelledError) as exc:
            self.scheduler.cancel(ticket)
            if ticket.granted:  # started in the same instant: hand the slot on
                self.release(ticket)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return None
        return ticket

    def release(self, ticket: Ticket) -> None:
        for started in self.scheduler.release(ticket):
            if started.future is not None and not started.future.done():
                started.future.set_result(True)

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self.scheduler.waiting.values())
