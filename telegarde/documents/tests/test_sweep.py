"""Files left without a document (a rolled-back save, a crash between the file and the
row) are swept; files of documents, and fresh ones whose row may be on its way, stay."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from telegarde.conftest import last_event
from telegarde.documents import storage
from telegarde.documents.models import Document
from telegarde.documents.sweep import do_sweep_orphan_files

from .corpus import jpeg

HOUR = 3600


def _age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _orphan(age_s: int) -> Path:
    external_id = uuid.uuid4()
    data_key, _ = storage.new_data_key(external_id)
    key = storage.write_file(external_id, storage.CONTENT, data_key, b"compte rendu")
    path = Path(storage._path(key))
    _age(path, age_s)
    return path


def test_it_removes_the_file_of_a_save_that_rolled_back(upload: Any, documents_dir: Path) -> None:
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        upload("photo.jpg", jpeg())
        raise Abandoned
    assert Document.objects.count() == 0
    (left,) = [p for p in documents_dir.glob("*/*") if p.is_file()]
    _age(left, 2 * HOUR)

    result = do_sweep_orphan_files()

    assert (result.orphans, result.removed) == (1, 1)
    assert not left.exists()
    event = last_event("document.orphans.swept")
    assert event.data["removed"] == 1 and event.data["bytes_removed"] > 0


def test_it_keeps_the_files_of_documents_and_the_fresh_ones(
    scanned: Any, documents_dir: Path
) -> None:
    document = scanned("photo.jpg", jpeg())
    assert document.storage_key
    kept = storage._path(document.storage_key)
    _age(kept, 2 * HOUR)
    fresh = _orphan(age_s=60)
    old = _orphan(age_s=2 * HOUR)

    result = do_sweep_orphan_files(grace_s=HOUR)

    assert (result.orphans, result.removed) == (1, 1)
    assert kept.exists() and fresh.exists() and not old.exists()
    assert storage.read_file(
        document.external_id,
        document.storage_key,
        storage.open_data_key(document.external_id, document.data_key),
    )


def test_a_dry_run_counts_and_removes_nothing(db: None, documents_dir: Path) -> None:
    old = _orphan(age_s=2 * HOUR)
    call_command("documents", "sweep", "--dry-run")
    assert old.exists()
    assert last_event("document.orphans.swept").data == {
        "examined": 1, "orphans": 1, "removed": 0, "bytes_removed": 0,
        "grace_s": HOUR, "dry_run": True,
    }  # fmt: skip


def test_it_refuses_a_grace_period_shorter_than_a_minute(documents_dir: Path) -> None:
    with pytest.raises(CommandError, match="--older-than"):
        call_command("documents", "sweep", "--older-than", "5")
