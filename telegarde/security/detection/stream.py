"""Scaled-out detection: workers in one Redis consumer group share the event stream.

Correlation state lives in Redis, keyed by rule and group, so any worker can take any
event. Every state update is idempotent (a count window's members are event ids, a
distinct window's members are the values), and ``do_record_hit`` ignores an event it
already counted, so a message handled twice — because its worker died after writing and
before ``XACK`` — changes nothing. A dead worker's pending messages are claimed by the
others with ``XAUTOCLAIM`` once they have been idle for ``claim_idle_ms``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from .engine import Engine, flatten
from .enrich import enrich
from .rules import Rule
from .tuning import OrganisationTunings

logger = logging.getLogger(__name__)
GROUP = "detection"


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        str(settings.REDIS_URL), socket_timeout=10, socket_connect_timeout=5
    )


class RedisState:
    """The engine's ``State`` in Redis sorted sets (score = event time)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _update(self, key: str, member: str, ts: float, window: int, cap: int, gt: bool) -> int:
        name = f"{self.prefix}:{key}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(name, {member: ts}, gt=gt)
        # Lenient trimming: another worker may still bring an older event of the window.
        pipe.zremrangebyscore(name, "-inf", ts - 2 * window)
        pipe.zremrangebyrank(name, 0, -(cap + 1))
        pipe.zcount(name, ts - window, "+inf")
        pipe.expire(name, 2 * window + 60)
        return int(pipe.execute()[3])

    def count(self, key: str, member: str, ts: float, window: int, cap: int) -> int:
        return self._update(key, member, ts, window, cap, gt=False)

    def distinct(self, key: str, value: str, ts: float, window: int, cap: int) -> int:
        return self._update(key, value, ts, window, cap, gt=True)

    def peek(self, key: str, ts: float, window: int) -> int:
        return int(self.client.zcount(f"{self.prefix}:{key}", ts - window, "+inf"))


def ensure_group(client: redis.Redis, stream: str) -> None:
    try:
        # From the stream's start: events published before the first worker are evaluated.
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class Worker:
    """One consumer of the group; ``run`` returns when ``stop`` is set."""

    def __init__(
        self,
        rules: list[Rule],
        *,
        stream: str,
        consumer: str | None = None,
        batch: int = 100,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.client = redis_client()
        self.stream = stream
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.engine = Engine(
            rules, RedisState(self.client, f"{stream}:state"), tune=OrganisationTunings()
        )
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.stop = threading.Event()
        self.handled = 0
        self.errors = 0
        self.last_error = ""

    def run(self) -> None:
        from .actions import do_record_hit

        ensure_group(self.client, self.stream)
        last_claim = 0.0
        while not self.stop.is_set():
            try:
                messages: list[tuple[bytes, dict[bytes, bytes]]] = []
                if time.monotonic() - last_claim > self.claim_idle_ms / 2000:
                    last_claim = time.monotonic()
                    claimed = self.client.xautoclaim(
                        self.stream,
                        GROUP,
                        self.consumer,
                        self.claim_idle_ms,
                        "0-0",
                        count=self.batch,
                    )
                    messages = [m for m in claimed[1] if m[1]]
                if not messages:
                    answer: Any = self.client.xreadgroup(
                        GROUP,
                        self.consumer,
                        {self.stream: ">"},
                        count=self.batch,
                        block=self.block_ms,
                    )
                    messages = answer[0][1] if answer else []
                for message_id, fields in messages:
                    self._handle(message_id, fields, do_record_hit)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                self._failed(exc)
                self.stop.wait(1.0)  # Redis restarting: nothing acked, nothing lost
            except Exception as exc:
                self._failed(exc)
                logger.exception("detection worker %s: batch failed", self.consumer)
                self.stop.wait(1.0)
            finally:
                close_old_connections()
        self.report()

    def _handle(self, message_id: bytes, fields: dict[bytes, bytes], record: Any) -> None:
        raw = fields.get(b"e")
        event = None
        if raw is not None:
            try:
                doc = json.loads(raw)
                event = enrich(flatten(doc)) if isinstance(doc, dict) else None
            except ValueError:
                event = None
        if event is not None:
            for hit in self.engine.process(event):
                record(hit)
        # Acknowledged only once its alerts are committed; a crash before this line
        # leaves it pending for another worker, which will find it already counted.
        self.client.xack(self.stream, GROUP, message_id)
        self.handled += 1
        if self.handled % 1000 == 0:
            self.report()

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]

    def report(self) -> None:
        from .models import EngineHealth

        try:
            EngineHealth.objects.update_or_create(
                name=f"worker {self.consumer}",
                defaults={
                    "events": self.handled,
                    "errors": self.errors,
                    "last_error": self.last_error,
                    "updated": timezone.now(),
                },
            )
        except Exception:
            logger.exception("detection worker: cannot report health")


def stream_lag(stream: str | None = None) -> dict[str, Any]:
    """Length, pending and lag of the consumer group, for the health panel."""
    name = stream or settings.DETECTION_STREAM
    try:
        client = redis_client()
        groups = {g["name"].decode(): g for g in client.xinfo_groups(name)}
        group = groups.get(GROUP)
        return {
            "length": int(client.xlen(name)),
            "pending": int(group["pending"]) if group else None,
            "lag": group.get("lag") if group else None,
            "consumers": int(group["consumers"]) if group else 0,
        }
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
