"""Live detection: each committed event reaches the engine without slowing the request.

The core's after-commit seam hands every event to ``on_event``, which only converts it
and puts it on a bounded queue. One background thread per process empties the queue:

- ``inline`` (embedded profile): it runs the engine here, with state in memory, and
  records the hits;
- ``stream`` (production): it appends the events to a Redis Stream (``XADD`` with an
  approximate ``MAXLEN``) for ``telegarde detect run`` workers, keeping them while Redis
  is unreachable (up to the queue's size) and retrying.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings

from telegarde.lib.background import BackgroundQueue

from .engine import Engine, flatten
from .enrich import enrich
from .rules import Event, RuleSet, load_rules
from .tuning import OrganisationTunings

if TYPE_CHECKING:
    from telegarde.core.models import SecurityEvent

logger = logging.getLogger(__name__)
CAPACITY = 100_000
BATCH = 500


@cache
def rule_set() -> RuleSet:
    """The rules in force in this process (built-in, then the configured folder)."""
    ruleset = load_rules(settings.DETECTION_RULES_DIR)
    for error in ruleset.errors:
        logger.error("detection: rule refused: %s", error)
    return ruleset


def event_document(event: SecurityEvent) -> dict[str, Any]:
    from telegarde.core.events import to_ecs

    return to_ecs(event)


class LiveFeed:
    """The bounded queue and the thread that drains it, in batches."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.engine = (
            Engine(rule_set().rules, tune=OrganisationTunings()) if mode == "inline" else None
        )
        self.publish_errors = 0
        self.publish_error = ""
        self.worker: BackgroundQueue[dict[str, Any]] = BackgroundQueue(
            self._handle, name="detection-live", capacity=CAPACITY, batch=BATCH
        )

    @property
    def processed(self) -> int:
        return self.worker.processed

    @property
    def dropped(self) -> int:
        return self.worker.dropped

    @property
    def errors(self) -> int:
        return self.worker.errors + self.publish_errors

    @property
    def last_error(self) -> str:
        return self.publish_error or self.worker.last_error

    def put(self, doc: dict[str, Any]) -> None:
        self.worker.put(doc)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued event was handled (tests, shutdown)."""
        return self.worker.wait_idle(timeout)

    def _handle(self, batch: list[dict[str, Any]]) -> None:
        if self.mode == "stream":
            self._publish(batch)
        else:
            self._evaluate([enrich(flatten(doc)) for doc in batch])

    def _evaluate(self, events: list[Event]) -> None:
        from django.db import close_old_connections

        from .actions import do_record_hit

        if self.engine is None:
            return
        close_old_connections()
        try:
            for event in events:
                for hit in self.engine.process(event):
                    do_record_hit(hit)
        finally:
            close_old_connections()

    def _publish(self, docs: list[dict[str, Any]]) -> None:
        from .stream import redis_client

        pause = 0.5
        while True:
            try:
                pipe = redis_client().pipeline(transaction=False)
                for doc in docs:
                    pipe.xadd(
                        settings.DETECTION_STREAM,
                        {"e": json.dumps(doc, ensure_ascii=False)},
                        maxlen=settings.DETECTION_STREAM_MAXLEN,
                        approximate=True,
                    )
                pipe.execute()
                return
            except Exception as exc:  # Redis restarting: keep the batch, retry
                self.publish_errors += 1
                self.publish_error = f"{type(exc).__name__}: {exc}"[:500]
                logger.warning("detection: cannot publish to Redis (%s), retrying", exc)
                time.sleep(pause)
                pause = min(pause * 2, 10.0)


_feed: LiveFeed | None = None
_lock = threading.Lock()


def feed() -> LiveFeed | None:
    """This process's live feed, started on first use; None when detection is off."""
    global _feed
    if settings.DETECTION_MODE == "off":
        return None
    with _lock:
        if _feed is None or _feed.mode != settings.DETECTION_MODE:
            _feed = LiveFeed(settings.DETECTION_MODE)
        return _feed


def on_event(event: SecurityEvent) -> None:
    """Subscribed to the core's after-commit seam: never raises, never blocks."""
    try:
        live = feed()
        if live is not None and not event.action.startswith("detection."):
            live.put(event_document(event))
    except Exception:
        logger.exception("detection: cannot queue event %s", event.seq)
