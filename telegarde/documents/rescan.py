"""Scanning every stored file again, after a signature or rule update: a clean document
that the new signatures condemn goes to quarantine; deferred ones fall due now."""

from __future__ import annotations

import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone

from telegarde.core.events import record_event

from . import yara_scan
from .models import Document

logger = logging.getLogger(__name__)


def rescan_all() -> dict[str, int]:
    """Rescan every clean document; returns counts by outcome and records one event."""
    from .actions import do_rescan_document

    yara_scan.compiled_rules()  # a rule folder that does not compile stops here, loudly
    counts: Counter[str] = Counter()
    ids = Document.objects.filter(status=Document.Status.CLEAN).values_list("pk", flat=True)
    for pk in ids.iterator():
        document = Document.objects.select_related("organisation").get(pk=pk)
        try:
            counts[do_rescan_document(document)] += 1
        except Exception:
            logger.exception("documents: rescanning %s failed", document.external_id)
            counts["failed"] += 1
    counts["pending"] = Document.objects.filter(status=Document.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )
    result = {k: counts[k] for k in ("clean", "quarantined", "unavailable", "failed", "pending")}
    with transaction.atomic():
        record_event(
            "document.rescan.completed",
            outcome="failure" if result["unavailable"] or result["failed"] else "success",
            data=result,
        )
    return result
