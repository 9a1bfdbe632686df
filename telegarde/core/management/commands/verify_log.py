"""``telegarde verify-log``: walk the security event chain; exit 1 naming the first bad row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from telegarde.core.events import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the security event log."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(f"security event log intact: {report.checked} event(s) verified")
            return
        raise CommandError(
            f"security event log BROKEN at position {report.broken_seq}"
            + (f" (row id {report.broken_id})" if report.broken_id is not None else "")
            + f": {report.problem}; {report.checked} event(s) before it verified",
            returncode=1,
        )
