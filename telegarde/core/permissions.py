"""The one place that answers "may this user do this to that object" (DESIGN §4 rule 3).

Apps register rules by name in their ``access.py``; views and APIs ask through
``has_perm``/``require`` or through ``user.has_perm`` (the authentication backend below
delegates here). An unknown permission name is a programming error; an anonymous or
inactive user is always refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied

Rule = Callable[[Any, Any], bool]
R = TypeVar("R", bound=Rule)

_rules: dict[str, Rule] = {}


def rule(name: str) -> Callable[[R], R]:
    """Register ``fn(user, obj) -> bool`` as the rule for permission ``name``."""

    def register(fn: R) -> R:
        if name in _rules:
            raise ValueError(f"permission {name!r} is registered twice")
        _rules[name] = fn
        return fn

    return register


def registered() -> list[str]:
    return sorted(_rules)


def has_perm(user: Any, name: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``name`` to ``obj``; never raises for a refusal."""
    try:
        check = _rules[name]
    except KeyError:
        raise LookupError(f"no rule for permission {name!r}") from None
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(check(user, obj))


def require(user: Any, name: str, obj: Any = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may do ``name`` to ``obj``."""
    if not has_perm(user, name, obj):
        raise PermissionDenied(name)


class RuleBackend(BaseBackend):
    """Lets ``user.has_perm("patient.view_record", obj)`` reach the rules above."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if perm not in _rules:
            return False  # Django's own "app.codename" permissions stay with ModelBackend.
        return has_perm(user_obj, perm, obj)
