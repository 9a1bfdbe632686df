"""Security-centre pages for alerts: list with filters and chart, detail, lifecycle."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.core.models import SecurityEvent

from . import health
from .access import access_alert, access_scope, alerts_for
from .actions import do_comment_alert, do_set_alert_status
from .chart import alerts_chart
from .models import Alert, ResponseAction, Severity, Threat
from .notify import send_test
from .responses import do_revert_response

PAGE = 100
PERIODS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}


@require_GET
@login_required
def alert_list(
    request: AuthenticatedRequest, organisation_id: uuid.UUID | None = None
) -> HttpResponse:
    organisation = access_scope(request.user, organisation_id)
    alerts = alerts_for(request.user, organisation)
    filters = {k: request.GET.get(k, "") for k in ("severity", "threat", "status", "period")}
    if filters["severity"] in Severity.values:
        alerts = alerts.filter(severity=filters["severity"])
    if filters["threat"] in Threat.values:
        alerts = alerts.filter(threat=filters["threat"])
    if filters["status"] in Alert.Status.values:
        alerts = alerts.filter(status=filters["status"])
    days = PERIODS.get(filters["period"] or "30d", 30)
    alerts = alerts.filter(last_seen__gte=timezone.now() - timedelta(days=days))
    context = {
        "organisation": organisation,
        "alerts": alerts[:PAGE],
        "filters": filters,
        "severities": Severity.choices,
        "threats": Threat.choices,
        "statuses": Alert.Status.choices,
        "periods": list(PERIODS),
        "chart": alerts_chart(alerts, days),
        "open_by_severity": health.open_by_severity(alerts_for(request.user, organisation)),
        "health": health.panel(organisation),
    }
    return render(request, "detection/alert_list.html", context)


@require_GET
@login_required
def alert_detail(request: AuthenticatedRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = access_alert(request.user, alert_id)
    linked = list(alert.events.all()[:200])
    seqs = [e.seq for e in linked if e.seq is not None]
    raw: dict[int | None, SecurityEvent] = {
        e.seq: e for e in SecurityEvent.objects.filter(seq__in=seqs)
    }
    context = {
        "alert": alert,
        "linked": [(e, raw.get(e.seq)) for e in linked],
        "comments": alert.comments.select_related("author"),
        "responses": alert.responses.all(),
        "next_statuses": _next_statuses(alert),
    }
    return render(request, "detection/alert_detail.html", context)


def _next_statuses(alert: Alert) -> list[tuple[str, str]]:
    from .actions import _TRANSITIONS

    allowed = _TRANSITIONS.get(alert.status, set())
    return [(value, str(label)) for value, label in Alert.Status.choices if value in allowed]


@require_POST
@login_required
def alert_status(request: AuthenticatedRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = access_alert(request.user, alert_id)
    try:
        do_set_alert_status(alert, request.POST.get("status", ""), acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("detection:alert_detail", alert.external_id)


@require_POST
@login_required
def alert_comment(request: AuthenticatedRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = access_alert(request.user, alert_id)
    try:
        do_comment_alert(alert, request.POST.get("body", ""), acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("detection:alert_detail", alert.external_id)


@require_POST
@login_required
def response_revert(
    request: AuthenticatedRequest, alert_id: uuid.UUID, response_id: uuid.UUID
) -> HttpResponse:
    alert = access_alert(request.user, alert_id)
    action = ResponseAction.objects.filter(alert=alert, external_id=response_id).first()
    if action is not None:
        do_revert_response(action, acting_user=request.user)
        messages.success(request, _("La réponse automatique a été annulée."))
    return redirect("detection:alert_detail", alert.external_id)


@require_POST
@login_required
def test_notification(
    request: AuthenticatedRequest, organisation_id: uuid.UUID | None = None
) -> HttpResponse:
    organisation = access_scope(request.user, organisation_id)
    for channel, result in send_test(organisation).items():
        messages.info(request, f"{channel} : {result}")
    if organisation is None:
        return redirect("detection:platform_alerts")
    return redirect("detection:alert_list", organisation.external_id)
