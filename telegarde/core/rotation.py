"""Re-wrapping every sealed value under the current key-encryption key (``telegarde keys
rotate``) and counting what each key still wraps (``telegarde keys status``).

Only the small per-value data keys are re-wrapped; content is never re-encrypted. Each
batch commits on its own and each row is changed by a conditional update (only if it
still holds the value read), so the platform keeps serving during a rotation, a writer
is never overwritten, and an interrupted rotation resumes where it stopped: a value
already under the current key is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import Substr

from telegarde.lib import envelope
from telegarde.lib.crypto import SealError

from .events import record_event
from .vault import LEGACY_PREFIX, SealedField, keks, open_legacy, sealed_fields

DEFAULT_BATCH = 500
LEGACY = "legacy"


@dataclass
class FieldReport:
    field: str
    rewrapped: int = 0
    converted: int = 0
    unreadable: int = 0


Progress = Callable[[FieldReport], None]


def _sealed(entry: SealedField) -> QuerySet[Model]:
    field = entry.field
    return entry.model._default_manager.exclude(Q(**{f"{field}__isnull": True}) | Q(**{field: ""}))


def rotate(
    *, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
) -> list[FieldReport]:
    """Re-wrap every registered sealed value not yet under ``settings.DATA_KEY``; convert
    legacy values. Records ``keys.rotated`` with the counts once every field is done."""
    current = envelope.key_id(settings.DATA_KEY)
    reports = []
    for entry in sealed_fields():
        report = FieldReport(entry.label)
        after = 0
        while True:
            rows = list(
                _sealed(entry)
                .filter(pk__gt=after)
                .exclude(**{f"{entry.field}__startswith": f"{envelope.VERSION}:{current}:"})
                .order_by("pk")
                .values_list("pk", entry.field)[:batch_size]
            )
            if not rows:
                break
            _rotate_batch(entry, rows, report)
            after = rows[-1][0]
            if progress is not None:
                progress(report)
        reports.append(report)
    with transaction.atomic():
        record_event(
            "keys.rotated",
            outcome="failure" if any(r.unreadable for r in reports) else "success",
            data={
                "key_id": current,
                "rewrapped": sum(r.rewrapped for r in reports),
                "converted": sum(r.converted for r in reports),
                "unreadable": sum(r.unreadable for r in reports),
                "fields": [asdict(r) for r in reports],
            },
        )
    return reports


@transaction.atomic
def _rotate_batch(entry: SealedField, rows: list[tuple[int, str]], report: FieldReport) -> None:
    manager = entry.model._default_manager
    for pk, token in rows:
        legacy = token.startswith(LEGACY_PREFIX) and bool(entry.legacy_purpose)
        try:
            if legacy:
                plain = open_legacy(entry.legacy_purpose, token)
                context = entry.context(manager.get(pk=pk))
                new = envelope.encrypt(settings.DATA_KEY, context, plain)
            else:
                new = envelope.rewrap(keks(), settings.DATA_KEY, token)
        except SealError:
            # A key missing from the configuration: counted and reported, never lost.
            report.unreadable += 1
            continue
        # Conditional: a writer that changed the row meanwhile sealed it under the
        # current key already, and keeps its value.
        if manager.filter(pk=pk, **{entry.field: token}).update(**{entry.field: new}):
            if legacy:
                report.converted += 1
            else:
                report.rewrapped += 1


@dataclass
class KeyCount:
    field: str
    key: str  # a key id, or LEGACY
    count: int


def status() -> list[KeyCount]:
    """How many values of each registered field each key wraps."""
    head = len(envelope.VERSION) + 1 + 12
    found: list[KeyCount] = []
    for entry in sealed_fields():
        rows = (
            _sealed(entry)
            .annotate(head=Substr(entry.field, 1, head))
            .values("head")
            .annotate(n=Count("pk"))
            .order_by("head")
        )
        by_key: dict[str, int] = {}
        for row in rows:
            prefix = str(row["head"])
            kid = prefix[len(envelope.VERSION) + 1 :] if prefix.startswith("e1:") else LEGACY
            by_key[kid] = by_key.get(kid, 0) + int(row["n"])
        found.extend(KeyCount(entry.label, kid, n) for kid, n in sorted(by_key.items()))
    return found


def key_names() -> dict[str, str]:
    """Key id → "current" / "previous 1" …, for the configured keys."""
    names = {envelope.key_id(settings.DATA_KEY): "current"}
    for index, kek in enumerate(getattr(settings, "DATA_KEYS_PREVIOUS", []), start=1):
        names.setdefault(envelope.key_id(kek), f"previous {index}")
    return names
