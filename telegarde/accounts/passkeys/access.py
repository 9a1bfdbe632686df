"""Who may see and change which passkeys: only their owner (same 404 for missing and others')."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from telegarde.accounts.models import User

from .models import Passkey


def passkeys_for(user: User) -> QuerySet[Passkey]:
    return Passkey.objects.filter(user=user).order_by("created", "pk")


def access_passkey(user: User, external_id: uuid.UUID) -> Passkey:
    """The user's own passkey, or the same 404 whether it is missing or someone else's."""
    passkey = passkeys_for(user).filter(external_id=external_id).first()
    if passkey is None:
        raise Http404("passkey")
    return passkey


def has_passkey(user: User) -> bool:
    return Passkey.objects.filter(user=user).exists()
