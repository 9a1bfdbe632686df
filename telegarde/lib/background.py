"""A bounded queue drained by one daemon thread: work taken off the request path.

Producers never block: when the queue is full the item is dropped, counted and logged.
The thread hands items to ``handle`` in batches (of one by default); a failing batch is
counted and logged, and the thread carries on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BackgroundQueue[T]:
    def __init__(
        self,
        handle: Callable[[list[T]], None],
        *,
        name: str,
        capacity: int,
        batch: int = 1,
    ) -> None:
        self.name = name
        self.processed = 0
        self.dropped = 0
        self.errors = 0
        self.last_error = ""
        self._handle = handle
        self._batch = batch
        self._queue: queue.Queue[T] = queue.Queue(maxsize=capacity)
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> bool:
        """Queue ``item``; False (and counted, logged) when the queue is full."""
        self._idle.clear()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            logger.error("%s: queue full, an item was dropped", self.name)
            return False
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued item was handled (shutdown and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._idle.is_set():
                return True
            time.sleep(0.005)
        return False

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._handle(batch)
                self.processed += len(batch)
            except Exception as exc:
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                logger.exception("%s: a batch failed", self.name)
            finally:
                for _ in batch:
                    self._queue.task_done()
                if self._queue.empty():
                    self._idle.set()
