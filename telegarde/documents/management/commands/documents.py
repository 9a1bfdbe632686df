"""``telegarde documents scan-worker`` (scan pending uploads, for the production
profile), ``telegarde documents rescan`` (every stored file again, after a signature
or rule update) and ``telegarde documents sweep`` (files no document refers to)."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from telegarde.documents.clamd import ScannerUnavailable
from telegarde.documents.rescan import rescan_all
from telegarde.documents.sweep import DEFAULT_GRACE_S, do_sweep_orphan_files
from telegarde.documents.worker import scan_due


class Command(BaseCommand):
    help = "Scan pending documents, or rescan every stored document."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        worker = sub.add_parser("scan-worker", help="claim and scan pending documents")
        worker.add_argument("--once", action="store_true", help="scan what is due, then exit")
        worker.add_argument(
            "--poll", type=float, default=2.0, help="seconds between looks when idle"
        )
        sub.add_parser("rescan", help="scan every clean document again")
        sweep = sub.add_parser("sweep", help="remove stored files that no document refers to")
        sweep.add_argument(
            "--older-than",
            type=int,
            default=DEFAULT_GRACE_S,
            help=f"seconds a file must have existed (default {DEFAULT_GRACE_S})",
        )
        sweep.add_argument("--dry-run", action="store_true", help="count, remove nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "sweep":
            if options["older_than"] < 60:
                raise CommandError(
                    "--older-than: at least 60 seconds, or a file whose document is being "
                    "saved could be taken"
                )
            result = do_sweep_orphan_files(
                grace_s=options["older_than"], dry_run=options["dry_run"]
            )
            self.stdout.write(
                f"examined={result.examined} orphans={result.orphans} "
                f"removed={result.removed} bytes_removed={result.bytes_removed}"
            )
            return
        if options["verb"] == "rescan":
            try:
                counts = rescan_all()
            except ScannerUnavailable as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
            return
        if options["once"]:
            self.stdout.write(f"{scan_due()} document(s) scanned")
            return
        self._loop(options["poll"])

    def _loop(self, poll: float) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        # The current document is finished before the worker stops (its lease protects
        # it anyway if the process is killed).
        while not stop.is_set():
            try:
                scanned = scan_due(limit=50)
            finally:
                close_old_connections()
            if not scanned:
                stop.wait(poll)
