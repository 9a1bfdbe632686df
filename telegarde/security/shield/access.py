"""Who may list, add and lift bans: the platform's operators (back-office access) who are
security officers. Bans act on the whole installation, not on one organisation."""

from __future__ import annotations

from typing import Any

from telegarde.accounts.models import Membership
from telegarde.core.permissions import rule


@rule("shield.manage_bans")
def _manage_bans(user: Any, obj: Any) -> bool:
    if user.is_superuser:
        return True
    return (
        bool(user.is_staff)
        and Membership.objects.filter(user=user, role=Membership.Role.SECURITY_OFFICER).exists()
    )
