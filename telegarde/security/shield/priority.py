"""Who is served first when a worker is saturated: the priority scheduler.

Three levels: ``HIGH`` (practitioners, staff, a consultation in progress or an
appointment today, from the signed priority claim), ``NORMAL`` (other signed-in
people) and ``LOW`` (anonymous). A worker runs at most ``capacity`` requests at once,
and at most a per-class number. Anonymous requests use what is left: up to
``low_slots`` at once, and none while a signed-in request runs in this worker or in
another worker of the machine (board.py), nor for a second after a signed-in request
had to wait or the worker's event loop kept running late (``pressed``, from the
shield's lag probe: the CPU is saturated, whoever holds it). Shedding starts with them
(they wait briefly, then get a 503) before signed-in people slow down.

The arithmetic (``Scheduler``) is synchronous and deterministic, for property tests;
``Gate`` puts asyncio futures and timeouts around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
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
        self.signed_in_at = -math.inf  # when a signed-in request was last offered
        self._order = itertools.count()
        # The other workers of this machine (board.py): whether one of them is running
        # signed-in requests or is under pressure, and where to publish our own state.
        self.others_busy: Callable[[], bool] = _nobody
        self.publish: Callable[[int, float], None] | None = None

    def sheds_low(self) -> bool:
        """True when an anonymous request offered now would be refused at once: the
        anonymous waiting line is full, and a newcomer queues behind it. (Under
        pressure anonymous requests wait in that line: a patient signing in waits out a
        second of pressure instead of meeting a 503.)"""
        return len(self.waiting[LOW]) >= MAX_WAITING[LOW]

    def served_signed_in_recently(self) -> bool:
        return self.clock() - self.signed_in_at < PRESSURE_S

    def pressed(self) -> None:
        """The worker is saturated: no anonymous request starts for ``PRESSURE_S``."""
        self.pressure_until = self.clock() + PRESSURE_S
        self._publish()

    def _publish(self) -> None:
        if self.publish is not None:
            self.publish(self.running - self.running_low, self.pressure_until)

    def low_limit(self) -> int:
        """Anonymous requests allowed to run now: none under pressure, none while a
        signed-in request runs here or on another worker of this machine (a running
        request is never interrupted, so a signed-in request shares the CPU only with
        anonymous ones started before it), ``low_slots`` otherwise."""
        if (
            self.clock() < self.pressure_until
            or self.running > self.running_low
            or self.others_busy()
        ):
            return 0
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
        else:
            self._publish()

    def offer(self, ticket: Ticket) -> str:
        """``"run"``, ``"wait"`` (queued) or ``"full"`` (refuse: too many waiting)."""
        ticket.order = next(self._order)
        if ticket.level != LOW:
            self.signed_in_at = self.clock()
        if not self._queued_ahead(ticket) and self._fits(ticket):
            self._start(ticket)
            return "run"
        if ticket.level != LOW and self.running >= self.capacity:
            # The worker is saturated (not merely one class at its limit): anonymous
            # requests stand aside until signed-in ones stop waiting.
            self.pressed()
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
        else:
            self._publish()
        return self.grant()

    def grant(self) -> list[Ticket]:
        """Start the waiting tickets that fit, highest level first."""
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


def _nobody() -> bool:
    return False


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
        self._wake(self.scheduler.release(ticket))

    def regrant(self) -> None:
        """Start what waits and may now run, though nothing finished here (another
        worker did, or the pressure ended)."""
        if any(self.scheduler.waiting.values()):
            self._wake(self.scheduler.grant())

    @staticmethod
    def _wake(started: list[Ticket]) -> None:
        for ticket in started:
            if ticket.future is not None and not ticket.future.done():
                ticket.future.set_result(True)

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self.scheduler.waiting.values())
