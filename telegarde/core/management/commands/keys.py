"""``telegarde keys status`` and ``telegarde keys rotate [--batch-size N]`` (docs/messaging.md,
key rotation)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from telegarde.core.rotation import DEFAULT_BATCH, LEGACY, FieldReport, key_names, rotate, status


class Command(BaseCommand):
    help = "Key-encryption keys: what each one wraps, and re-wrapping under the current one."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("status", help="count the sealed values each key wraps")
        rotate_parser = sub.add_parser(
            "rotate", help="re-wrap every sealed value under TELEGARDE_DATA_KEY (resumable)"
        )
        rotate_parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "status":
            self._status()
        else:
            self._rotate(options["batch_size"])

    def _status(self) -> None:
        names = key_names()
        for kid, name in names.items():
            self.stdout.write(f"key {kid}: {name}")
        rows = status()
        for row in rows:
            if row.key == LEGACY:
                described = "legacy seal, converted by the next rotation"
            else:
                described = names.get(row.key, "NOT CONFIGURED: unreadable")
            self.stdout.write(f"{row.field}\t{row.key}\t{described}\t{row.count}")
        unreadable = [
            row for row in rows if row.key != LEGACY and row.key not in names and row.count
        ]
        if unreadable:
            raise CommandError(
                "some values are wrapped by a key that is not configured: add it to "
                "TELEGARDE_DATA_KEYS_PREVIOUS"
            )

    def _rotate(self, batch_size: int) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size: must be at least 1")
        started = time.monotonic()

        def progress(report: FieldReport) -> None:
            done = report.rewrapped + report.converted
            self.stderr.write(f"{report.field}: {done} re-wrapped so far")

        reports = rotate(batch_size=batch_size, progress=progress)
        elapsed = time.monotonic() - started
        for report in reports:
            self.stdout.write(
                f"{report.field}: {report.rewrapped} re-wrapped, {report.converted} converted, "
                f"{report.unreadable} unreadable"
            )
        total = sum(r.rewrapped + r.converted for r in reports)
        self.stdout.write(f"{total} value(s) in {elapsed:.1f} s")
        if any(r.unreadable for r in reports):
            raise CommandError(
                "some values could not be opened with the configured keys: add the key that "
                "wraps them to TELEGARDE_DATA_KEYS_PREVIOUS and run the rotation again"
            )
