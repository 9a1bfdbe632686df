"""Security-centre pages: alerts (list with filters and chart, detail, lifecycle) and the
organisation's tuning of rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.stepup import require_step_up
from telegarde.core.models import SecurityEvent

from . import health
from .access import access_alert, access_organisation, access_scope, alerts_for
from .actions import do_comment_alert, do_set_alert_status, do_tune_rule
from .chart import alerts_chart
from .forms import RuleTuningForm, duration_text
from .live import rule_set
from .models import Alert, ResponseAction, RuleSetting, Severity, Threat
from .notify import send_test
from .responses import do_revert_response
from .rules import Rule

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


@require_GET
@login_required
def rule_list(request: AuthenticatedRequest, organisation_id: uuid.UUID) -> HttpResponse:
    organisation = access_organisation(request.user, organisation_id)
    settings = {s.rule_id: s for s in RuleSetting.objects.filter(organisation=organisation)}
    rows = [
        _rule_row(rule, settings.get(rule.id))
        for rule in sorted(rule_set().rules, key=lambda r: (r.threat, r.id))
    ]
    return render(request, "detection/rule_list.html", {"organisation": organisation, "rows": rows})


def _rule_row(rule: Rule, setting: RuleSetting | None) -> dict[str, object]:
    """A rule as the organisation has it: each value tuned, or the rule file's."""
    spec = rule.correlation
    severity = (setting.severity if setting else "") or rule.severity
    return {
        "rule": rule,
        "enabled": setting is None or setting.enabled,
        "tuned": setting is not None,
        "severity": dict(Severity.choices)[severity],
        "threshold": (setting and setting.threshold) or (spec.gte if spec else None),
        "window": duration_text((setting and setting.window_s) or spec.timespan) if spec else "",
        "automatic": bool(setting and setting.automatic_responses) or rule.automatic,
    }


@require_http_methods(["GET", "POST"])
@require_step_up
def rule_tune(
    request: AuthenticatedRequest, organisation_id: uuid.UUID, rule_id: str
) -> HttpResponse:
    organisation = access_organisation(request.user, organisation_id)
    rule = rule_set().by_id().get(rule_id)
    if rule is None:
        raise Http404("rule")
    setting = RuleSetting.objects.filter(organisation=organisation, rule_id=rule.id).first()
    form = RuleTuningForm(rule, setting, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_tune_rule(
            organisation,
            rule,
            enabled=data["enabled"],
            threshold=data.get("threshold"),
            window_s=data.get("window"),
            severity=data["severity"],
            automatic_responses=data.get("automatic_responses", False),
            acting_user=request.user,
        )
        messages.success(request, _("Le réglage de la règle est enregistré."))
        return redirect("detection:rule_list", organisation.external_id)
    context = {"organisation": organisation, "rule": rule, "form": form}
    return render(request, "detection/rule_tune.html", context)
