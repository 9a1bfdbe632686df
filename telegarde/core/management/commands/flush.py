"""``telegarde flush`` empties every table, the security event log included.

Django's flush would be refused by the event log's append-only guards; this one lifts
them for the flush, puts them back and starts a new chain. Refused in production mode,
where the security log must outlive any reset.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from telegarde.core import guards
from telegarde.core.models import EventChainHead
from telegarde.lib.chain import GENESIS


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "flush would erase the security event log: refused in production mode"
            )
        connection = connections[options["database"]]
        with guards.lifted(connection):
            super().handle(**options)
        EventChainHead.objects.using(options["database"]).get_or_create(
            pk=EventChainHead.SINGLETON_ID, defaults={"seq": 0, "hash": GENESIS}
        )
