"""Adding and lifting bans: each one recorded in the security event log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from telegarde.core.events import record_event

from . import bans
from .models import Ban

MAX_BAN_SECONDS = 30 * 24 * 3600


def do_add_ban(
    target: str,
    *,
    seconds: int,
    reason: str,
    source: str,
    acting_user: Any | None,
) -> Ban:
    """Ban an address or network for ``seconds``; raises ValueError on a bad target.

    An active ban of the same network is extended rather than duplicated."""
    network = bans.parse_network(target)
    if not 1 <= seconds <= MAX_BAN_SECONDS:
        raise ValueError(f"a ban lasts between 1 second and {MAX_BAN_SECONDS} seconds")
    if source not in Ban.Source.values:
        raise ValueError(f"source {source!r} is not one of {Ban.Source.values}")
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    with transaction.atomic():
        ban = (
            Ban.objects.select_for_update()
            .filter(network=str(network), lifted__isnull=True, expires__gt=now)
            .first()
        )
        if ban is not None:
            ban.expires = max(ban.expires, expires)
            ban.reason = reason[:200]
            ban.save(update_fields=["expires", "reason"])
        else:
            ban = Ban.objects.create(
                network=str(network),
                reason=reason[:200],
                source=source,
                created=now,
                expires=expires,
                created_by=str(acting_user.external_id) if acting_user is not None else "",
            )
        record_event(
            "shield.ban.added",
            actor=acting_user,
            target=ban,
            source_ip=str(network.network_address) if network.num_addresses == 1 else None,
            data={
                "network": str(network),
                "seconds": seconds,
                "reason": reason[:200],
                "source": source,
            },
        )
        expiry = ban.expires.timestamp()
        transaction.on_commit(lambda: bans.table().add(network, expiry))
    return ban


def do_lift_ban(ban: Ban, *, acting_user: Any | None) -> Ban:
    """End a ban now (it stays listed, as lifted)."""
    with transaction.atomic():
        ban = Ban.objects.select_for_update().get(pk=ban.pk)
        if ban.lifted is None:
            ban.lifted = timezone.now()
            ban.lifted_by = str(acting_user.external_id) if acting_user is not None else ""
            ban.save(update_fields=["lifted", "lifted_by"])
            record_event(
                "shield.ban.lifted",
                actor=acting_user,
                target=ban,
                data={"network": ban.network, "source": ban.source},
            )
            transaction.on_commit(bans.refresh_from_database)
    return ban
