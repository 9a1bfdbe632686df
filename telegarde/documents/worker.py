"""Who runs the scans: workers claim due pending documents one at a time with a
conditional update (a lease), so any number of processes can scan side by side and a
worker that dies mid-scan only delays its document until the lease runs out.

Embedded profile (``TELEGARDE_DOCUMENTS_SCAN=thread``): a background thread in the web
process, woken after each upload and again when a deferred retry falls due. Production
(``worker``): ``telegarde documents scan-worker`` processes.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Min
from django.utils import timezone

from telegarde.lib.background import BackgroundQueue

from .models import Document

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
CLAIM_WINDOW = 20


def claim_next() -> Document | None:
    """The next due pending document, now leased to this worker; None when none is due."""
    now = timezone.now()
    due = (
        Document.objects.filter(status=Document.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:CLAIM_WINDOW]
    )
    for pk in due:
        claimed = Document.objects.filter(
            pk=pk, status=Document.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE, scan_attempts=F("scan_attempts") + 1)
        if claimed:
            return Document.objects.select_related("organisation", "uploaded_by").get(pk=pk)
    return None


def scan_due(limit: int | None = None) -> int:
    """Claim and scan due documents until none is left (or ``limit``); returns how many."""
    from .actions import do_scan_document

    done = 0
    while limit is None or done < limit:
        document = claim_next()
        if document is None:
            break
        try:
            do_scan_document(document)
        except Exception:
            # Stays pending; the lease expires and another attempt follows.
            logger.exception("documents: scanning %s failed", document.external_id)
        done += 1
    return done


def next_due_in() -> float | None:
    """Seconds until the earliest deferred pending document falls due, if any."""
    earliest: datetime | None = Document.objects.filter(status=Document.Status.PENDING).aggregate(
        at=Min("next_attempt_at")
    )["at"]
    if earliest is None:
        return None
    return max(0.0, (earliest - timezone.now()).total_seconds())


class ScanThread:
    """The embedded profile's scanner: a queue of wake-ups drained by one thread."""

    def __init__(self) -> None:
        self.queue: BackgroundQueue[int] = BackgroundQueue(
            self._handle, name="document-scan", capacity=10_000
        )
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def wake(self, pk: int = 0) -> None:
        self.queue.put(pk)

    def _handle(self, batch: list[int]) -> None:
        close_old_connections()
        try:
            scan_due()
            delay = next_due_in()
        finally:
            # This thread's own connection: not held open between wake-ups.
            connection.close()
        if delay is not None:
            self._schedule(delay + 0.5)

    def _schedule(self, delay: float) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, self.wake)
            self._timer.daemon = True
            self._timer.start()


@cache
def scan_thread() -> ScanThread:
    return ScanThread()


def queue_scan(pk: int) -> None:
    """After an upload commits: wake the in-process scanner (workers poll on their own)."""
    if settings.DOCUMENTS_SCAN == "thread":
        scan_thread().wake(pk)
