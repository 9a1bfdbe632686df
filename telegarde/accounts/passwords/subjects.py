"""Who a password is for: their personal details and whether a second factor applies."""

from __future__ import annotations

from telegarde.accounts.factors import second_factor_enforced
from telegarde.accounts.models import User


def personal_details(user: User | None) -> list[str]:
    if user is None:
        return []
    details = [user.email, user.first_name, user.last_name]
    profile = getattr(user, "patient", None) if user.pk is not None else None
    if profile is not None:
        details += [profile.birth_last_name, profile.first_names, profile.used_last_name]
    return [value for value in details if value]


def needs_second_factor(user: User | None) -> bool:
    """A user not yet saved (registration) signs in with a password alone."""
    return user is not None and user.pk is not None and second_factor_enforced(user)
