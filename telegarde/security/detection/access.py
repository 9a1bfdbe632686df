"""Who may see and handle alerts: the organisation's security officers and
administrators; platform-wide alerts (no organisation) only back-office superusers."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from telegarde.accounts.access import roles_in
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.permissions import has_perm, rule

from .models import Alert

SECURITY_ROLES = {Membership.Role.SECURITY_OFFICER, Membership.Role.ORG_ADMIN}


@rule("detection.handle_alerts")
def _handle_alerts(user: User, organisation: Any) -> bool:
    if organisation is None:
        return bool(user.is_superuser)
    return isinstance(organisation, Organisation) and bool(
        roles_in(user, organisation) & SECURITY_ROLES
    )


def alerts_for(user: User, organisation: Organisation | None) -> QuerySet[Alert]:
    """The alerts ``user`` may list for ``organisation`` (None: platform-wide alerts)."""
    if not has_perm(user, "detection.handle_alerts", organisation):
        return Alert.objects.none()
    return Alert.objects.filter(organisation=organisation).select_related("assignee")


def access_alert(user: User, external_id: uuid.UUID) -> Alert:
    """The alert, or the same 404 whether it is missing or forbidden."""
    alert = (
        Alert.objects.select_related("organisation", "assignee")
        .filter(external_id=external_id)
        .first()
    )
    if alert is None or not has_perm(user, "detection.handle_alerts", alert.organisation):
        raise Http404("alert")
    return alert


def access_scope(user: User, organisation_id: uuid.UUID | None) -> Organisation | None:
    """The organisation named in the URL (None for the platform scope), or 404."""
    organisation = None
    if organisation_id is not None:
        organisation = Organisation.objects.filter(external_id=organisation_id).first()
        if organisation is None:
            raise Http404("organisation")
    if not has_perm(user, "detection.handle_alerts", organisation):
        raise Http404("organisation")
    return organisation


def access_organisation(user: User, organisation_id: uuid.UUID) -> Organisation:
    """The organisation whose detection ``user`` handles (its rule tuning), or 404."""
    organisation = access_scope(user, organisation_id)
    if organisation is None:
        raise Http404("organisation")
    return organisation
