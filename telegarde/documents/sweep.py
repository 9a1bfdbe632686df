"""Files no document refers to: removed by ``telegarde documents sweep``.

A file is written before the row that names it is committed (the file must exist when
the row does); when the caller's transaction then rolls back, or the process dies in
between, the encrypted file stays with no row. It cannot be read (its data key was on
the row), but it takes space and, for a privacy review, is patient data that "should"
not exist. The sweep deletes files, and the ``.tmp-`` leftovers of interrupted writes,
that no ``Document`` row names and that are older than a grace period, so that a file
whose row is about to be committed is never taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from telegarde.core.events import record_event

from .models import Document

DEFAULT_GRACE_S = 3600


@dataclass(frozen=True)
class SweepResult:
    examined: int
    orphans: int
    removed: int
    bytes_removed: int


def _referenced_keys() -> set[str]:
    keys: set[str] = set()
    for original, stored in Document.objects.values_list("original_key", "storage_key").iterator():
        keys.update(key for key in (original, stored) if key)
    return keys


def do_sweep_orphan_files(*, grace_s: int = DEFAULT_GRACE_S, dry_run: bool = False) -> SweepResult:
    """Remove (or with ``dry_run`` only count) the unreferenced files older than
    ``grace_s`` seconds; records ``document.orphans.swept``."""
    root = Path(settings.DOCUMENTS_DIR).resolve()
    cutoff = time.time() - grace_s
    examined = orphans = removed = size = 0
    if root.is_dir():
        referenced = _referenced_keys()
        for path in sorted(root.glob("*/*")):
            if not path.is_file() or path.is_symlink():
                continue
            examined += 1
            key = path.relative_to(root).as_posix()
            if key in referenced:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                continue
            orphans += 1
            if dry_run:
                continue
            # Named since the listing (a document saved meanwhile): keep it.
            if Document.objects.filter(original_key=key).exists() or (
                Document.objects.filter(storage_key=key).exists()
            ):
                continue
            path.unlink(missing_ok=True)
            removed += 1
            size += stat.st_size
    result = SweepResult(examined, orphans, removed, size)
    with transaction.atomic():
        record_event(
            "document.orphans.swept",
            data={
                "examined": examined,
                "orphans": orphans,
                "removed": removed,
                "bytes_removed": size,
                "grace_s": grace_s,
                "dry_run": dry_run,
            },
        )
    return result
