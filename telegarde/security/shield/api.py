"""The narrow functions other parts of the security centre call (the detection engine's
automatic responses): ban or unban a source, without knowing how the shield works."""

from __future__ import annotations

import ipaddress

from django.utils import timezone

from .actions import do_add_ban, do_lift_ban
from .models import Ban


def ban_source(target: str, *, seconds: int, reason: str, source: str = "detection") -> str:
    """Ban an IP address or network (``"203.0.113.7"``, ``"198.51.100.0/24"``) for
    ``seconds``. Every instance refuses it within seconds. Returns the ban's public id;
    raises ValueError for a malformed target, a network wider than /16 (IPv4) or /32
    (IPv6), or a duration outside 1 s to 30 days."""
    return str(
        do_add_ban(
            target, seconds=seconds, reason=reason, source=source, acting_user=None
        ).external_id
    )


def lift_bans_covering(address: str) -> int:
    """Lift every active ban that covers ``address``; how many were lifted."""
    ip = ipaddress.ip_address(address.strip())
    lifted = 0
    for ban in Ban.objects.filter(lifted__isnull=True, expires__gt=timezone.now()):
        network = ipaddress.ip_network(ban.network)
        if network.version == ip.version and ip in network:
            do_lift_ban(ban, acting_user=None)
            lifted += 1
    return lifted


def ban_for_detection(source: str, *, duration_s: int, reason: str) -> str:
    """The detection engine's "ban a source" response (TELEGARDE_DETECTION_BAN_FUNCTION)."""
    return ban_source(source, seconds=duration_s, reason=reason, source="detection")


def unban_for_detection(source: str, *, reason: str) -> None:
    """Reverting that response from the alert page lifts the bans covering the source."""
    lift_bans_covering(source.split("/", 1)[0])
