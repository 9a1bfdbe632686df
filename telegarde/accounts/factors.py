"""Second factors, as a registry: TOTP, recovery codes and passkeys each register here.

The login flow, the step-up page and the enrolment rule ask this module, never a
factor's app directly, so a new factor plugs in without touching them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from .models import Membership, User


@dataclass(frozen=True)
class Factor:
    key: str
    label: str | Promise
    is_enrolled: Callable[[User], bool]
    # URL name of the view that checks this factor; it receives ?purpose=login|step_up&next=…
    challenge_url: str
    # Recovery codes can finish a login but do not count as an enrolled second factor.
    counts_as_enrolment: bool = True


_factors: dict[str, Factor] = {}


def register_factor(factor: Factor) -> None:
    if factor.key in _factors:
        raise ValueError(f"second factor {factor.key!r} is registered twice")
    _factors[factor.key] = factor


def enrolled_factors(user: User) -> list[Factor]:
    return [factor for factor in _factors.values() if factor.is_enrolled(user)]


def has_second_factor(user: User) -> bool:
    return any(f.counts_as_enrolment and f.is_enrolled(user) for f in _factors.values())


def second_factor_required(user: User) -> bool:
    """Professionals and back-office users must enrol a second factor (DESIGN §1)."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=Membership.PROFESSIONAL_ROLES).exists()


def second_factor_enforced(user: User) -> bool:
    """True when signing in takes more than the password (required, or chosen)."""
    return second_factor_required(user) or has_second_factor(user)
