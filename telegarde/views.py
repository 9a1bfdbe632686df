"""Project-level pages that gather what each app offers a person: landing, home, health.

They sit above every app (DESIGN §6), so they may read from all of them.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from telegarde.accounts.access import access_organisation, organisations_for, patients_for
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.models import Membership, PatientProfile
from telegarde.core.events import record_event
from telegarde.core.models import SecurityEvent
from telegarde.core.outbound import find_message

Role = Membership.Role
JOURNAL_SIZE = 50


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "core/landing.html")


@require_GET
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """One page per person, with a section for each role they hold."""
    user = request.user
    memberships = list(
        user.memberships.select_related("organisation").order_by("organisation__name")
    )
    roles = {m.role for m in memberships}
    context = {
        "memberships": memberships,
        "roles": roles,
        "patient_profile": PatientProfile.objects.filter(user=user).first(),
        "login_history": SecurityEvent.objects.filter(
            Q(actor_id=str(user.external_id)) | Q(target_id=str(user.external_id)),
            action__startswith="auth.",
        ).order_by("-seq")[:10],
        "patients": list(patients_for(user)[:100])
        if roles & {Role.PRACTITIONER, Role.STAFF}
        else [],
        "security_orgs": organisations_for(user, Role.SECURITY_OFFICER, Role.ORG_ADMIN),
    }
    return render(request, "core/home.html", context)


@require_GET
@login_required
def security_journal(request: AuthenticatedRequest, organisation_id: uuid.UUID) -> HttpResponse:
    organisation = access_organisation(request.user, organisation_id, "security.view_events")
    member_ids = [
        str(external_id)
        for external_id in Membership.objects.filter(organisation=organisation).values_list(
            "user__external_id", flat=True
        )
    ]
    # The organisation's own events, and its members' sign-ins (which belong to no
    # organisation) — never what a member did in another organisation.
    events = SecurityEvent.objects.filter(
        Q(organisation_id=str(organisation.external_id))
        | (Q(organisation_id="") & (Q(actor_id__in=member_ids) | Q(target_id__in=member_ids)))
    ).order_by("-seq")[:JOURNAL_SIZE]
    return render(
        request, "core/security_journal.html", {"organisation": organisation, "events": events}
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers; no data, no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)


class MessageCodeForm(forms.Form):
    code = forms.CharField(label=_("Code de vérification"), max_length=20)


def message_verification(request: HttpRequest) -> HttpResponse:
    """Anyone can check that a message claiming to come from us really does."""
    form = MessageCodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        message = find_message(form.cleaned_data["code"])
        result = {"found": message is not None, "message": message}
        record_event(
            "message.verification.checked",
            outcome="success" if message else "failure",
            request=request,
            data={"found": message is not None},
        )
    return render(request, "core/message_verification.html", {"form": form, "result": result})
