"""Rescan after a rule update: a clean document the new rules condemn is quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command

from telegarde.conftest import last_event
from telegarde.documents.models import Document
from telegarde.documents.rescan import rescan_all

from .corpus import jpeg

MARKER = b"Ordonnance falsifiee numero 4242"


def test_a_new_local_rule_quarantines_a_delivered_document(
    scanned: Any, settings: Any, tmp_path: Path
) -> None:
    document = scanned("ordonnance.txt", MARKER + b"\n")
    other = scanned("photo.jpg", jpeg())
    assert document.status == other.status == Document.Status.CLEAN
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "local.yar").write_text(
        'rule Forged_Prescription { meta: verdict = "malware" '
        'strings: $m = "Ordonnance falsifiee" condition: $m }'
    )
    settings.YARA_RULES_DIR = str(rules)
    assert rescan_all() == {
        "clean": 1, "quarantined": 1, "unavailable": 0, "failed": 0, "pending": 0
    }  # fmt: skip
    document.refresh_from_db()
    assert (document.status, document.verdict) == (Document.Status.QUARANTINED, "malware")
    assert last_event("document.quarantined").data["rules"] == ["yara:Forged_Prescription"]
    assert last_event("document.rescan.completed").data["quarantined"] == 1


def test_the_command_runs_the_rescan_and_the_worker(scanned: Any, upload: Any, capsys: Any) -> None:
    scanned("notes.txt", b"RAS\n")
    call_command("documents", "rescan")
    assert "clean=1" in capsys.readouterr().out
    upload("photo.jpg", jpeg())
    call_command("documents", "scan-worker", "--once")
    assert "1 document(s) scanned" in capsys.readouterr().out
