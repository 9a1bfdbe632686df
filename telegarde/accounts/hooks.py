"""Narrow hooks the security centre calls on accounts (care apps never import it)."""

from __future__ import annotations

import uuid

from .models import Membership, User
from .sessions import do_revoke_sessions

PRIVILEGED_ROLES = (Membership.Role.ORG_ADMIN, Membership.Role.SECURITY_OFFICER)


def do_revoke_user_sessions(
    user_external_id: str, *, reason: str, second_factor_required: bool = False
) -> int:
    """End every session of the user (an automatic response), so each device must sign
    in again; records ``auth.session.revoked``. 0 for an unknown user."""
    user = _user(user_external_id)
    if user is None:
        return 0
    why = f"{reason} (second factor required)" if second_factor_required else reason
    return do_revoke_sessions(user, reason=why[:200], acting_user=None)


def is_privileged(user_external_id: str) -> bool:
    """Back-office access, or an administrator or security officer role somewhere."""
    user = _user(user_external_id)
    return user is not None and (
        user.is_staff or user.memberships.filter(role__in=PRIVILEGED_ROLES).exists()
    )


def _user(external_id: str) -> User | None:
    try:
        return User.objects.filter(external_id=uuid.UUID(str(external_id))).first()
    except ValueError:
        return None
