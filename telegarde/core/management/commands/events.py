"""``telegarde events export --since DATE --format ecs-json [--output FILE]``."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from datetime import datetime
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from telegarde.core.events import iter_ecs


def parse_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since: {value!r} is not a date (2026-11-30) or date-time")
        moment = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - made aware below
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Export security events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="write events as JSON lines")
        export.add_argument(
            "--since", help="date or date-time (Europe/Paris unless an offset is given)"
        )
        export.add_argument("--format", default="ecs-json", choices=["ecs-json"])
        export.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_since(options["since"]) if options.get("since") else None
        if options.get("output"):
            with open(options["output"], "w", encoding="utf-8") as out:
                count = self._write(out, since)
        else:
            count = self._write(sys.stdout, since)
        self.stderr.write(f"{count} event(s) exported")

    def _write(self, out: TextIO, since: datetime | None) -> int:
        count = 0
        for line in iter_ecs(since):
            out.write(line + "\n")
            count += 1
        return count
