"""Alert state changes; each records its security event in the same transaction.

``do_record_hit`` is the engine's way in: it deduplicates (same rule and group within
the suppress window updates one alert), is idempotent per event (a worker that dies
before acknowledging a message and whose message is processed again changes nothing),
and is safe between concurrent workers (the group row is locked).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.events import record_event

from .engine import Hit
from .models import Alert, AlertComment, AlertEvent, AlertGroup, RuleSetting
from .rules import Rule

MAX_EVENT_DATA = 40  # fields kept from an external event (nginx line) for drill-down


def organisation_for(event: dict[str, Any]) -> Organisation | None:
    """The organisation an event concerns: named, or the one of the user it is about
    (a professional membership first). None for platform-wide events."""
    named = _uuid(event.get("organization.id"))
    if named is not None:
        return Organisation.objects.filter(external_id=named).first()
    for name in ("user.id", "telegarde.target.id"):
        user_id = _uuid(event.get(name))
        if user_id is None:
            continue
        membership = (
            Membership.objects.filter(user__external_id=user_id)
            .select_related("organisation")
            .order_by("created")
        )
        professional = membership.exclude(role=Membership.Role.PATIENT).first()
        chosen = professional or membership.first()
        if chosen is not None:
            return chosen.organisation
    return None


def _uuid(value: Any) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _group_key(hit: Hit) -> str:
    key = hit.group_key
    return key if len(key) <= 200 else hashlib.sha256(key.encode()).hexdigest()


def _event_seq(event: dict[str, Any]) -> int | None:
    seq = event.get("event.sequence")
    return int(seq) if isinstance(seq, int) else None


def do_record_hit(hit: Hit) -> tuple[Alert, bool] | None:
    """Turn one hit into a new alert or an update of the group's open one.

    Returns (alert, created), or None when the hit is dropped (rule off for the
    organisation, or this event was already counted).
    """
    rule = hit.rule
    organisation = organisation_for(hit.event)
    if (
        organisation is not None
        and RuleSetting.objects.filter(
            organisation=organisation, rule_id=rule.id, enabled=False
        ).exists()
    ):
        return None
    group_key = _group_key(hit)
    when = datetime.fromtimestamp(hit.ts, UTC)
    with transaction.atomic():
        AlertGroup.objects.get_or_create(rule_id=rule.id, group_key=group_key)
        group = AlertGroup.objects.select_for_update().get(rule_id=rule.id, group_key=group_key)
        if AlertEvent.objects.filter(
            alert__rule_id=rule.id, alert__group_key=group_key, event_id=hit.event_id
        ).exists():
            return None
        alert = Alert.objects.filter(pk=group.alert_id).first() if group.alert_id else None
        created = not (
            alert is not None
            and alert.is_open
            and hit.ts - alert.last_seen.timestamp() <= rule.suppress
        )
        if alert is not None and not created:
            alert.count += 1
            alert.last_seen = max(alert.last_seen, when)
            alert.first_seen = min(alert.first_seen, when)
            alert.updated = timezone.now()
            alert.save(update_fields=["count", "last_seen", "first_seen", "updated"])
        else:
            alert = Alert.objects.create(
                organisation=organisation,
                rule_id=rule.id,
                title=rule.title,
                severity=rule.severity,
                threat=rule.threat,
                group_key=group_key,
                group=hit.group,
                first_seen=when,
                last_seen=when,
            )
            group.alert = alert
            group.save(update_fields=["alert"])
            record_event(
                "detection.alert.raised",
                organisation=organisation,
                target=alert,
                data={"rule": rule.id, "severity": rule.severity, "threat": rule.threat},
            )
        AlertEvent.objects.create(
            alert=alert,
            event_id=hit.event_id[:80],
            seq=_event_seq(hit.event),
            ts=when,
            data={} if _event_seq(hit.event) else _external_data(hit.event),
        )
        from .responses import respond

        respond(rule, alert, hit.event)
        if created:
            from .notify import notify_on_commit

            notify_on_commit(alert)
    return alert, created


def _external_data(event: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in list(event.items())[:MAX_EVENT_DATA]
        if isinstance(v, str | int | float | bool) and k != "ts"
    }


_TRANSITIONS: dict[str, set[str]] = {
    Alert.Status.NEW: {
        Alert.Status.ACKNOWLEDGED,
        Alert.Status.RESOLVED,
        Alert.Status.FALSE_POSITIVE,
    },
    Alert.Status.ACKNOWLEDGED: {Alert.Status.RESOLVED, Alert.Status.FALSE_POSITIVE},
    Alert.Status.RESOLVED: {Alert.Status.ACKNOWLEDGED},
    Alert.Status.FALSE_POSITIVE: {Alert.Status.ACKNOWLEDGED},
}


@transaction.atomic
def do_set_alert_status(alert: Alert, status: str, *, acting_user: User) -> None:
    """Move an alert along new → acknowledged → resolved / false positive (or reopen)."""
    if status not in _TRANSITIONS.get(alert.status, set()):
        raise ValidationError({"status": _("Ce changement d'état n'est pas possible.")})
    previous = alert.status
    alert.status = status
    alert.updated = timezone.now()
    if status == Alert.Status.ACKNOWLEDGED and alert.assignee_id is None:
        alert.assignee = acting_user
    alert.save(update_fields=["status", "updated", "assignee"])
    record_event(
        "detection.alert.status_changed",
        actor=acting_user,
        organisation=alert.organisation,
        target=alert,
        data={"from": previous, "to": status},
    )


@transaction.atomic
def do_assign_alert(alert: Alert, assignee: User | None, *, acting_user: User) -> None:
    alert.assignee = assignee
    alert.updated = timezone.now()
    alert.save(update_fields=["assignee", "updated"])
    record_event(
        "detection.alert.assigned",
        actor=acting_user,
        organisation=alert.organisation,
        target=alert,
        data={"assignee": str(assignee.external_id) if assignee else ""},
    )


@transaction.atomic
def do_comment_alert(alert: Alert, body: str, *, acting_user: User) -> AlertComment:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Le commentaire est vide.")})
    comment = AlertComment.objects.create(alert=alert, author=acting_user, body=body[:4000])
    record_event(
        "detection.alert.commented",
        actor=acting_user,
        organisation=alert.organisation,
        target=alert,
    )
    return comment


@transaction.atomic
def do_tune_rule(
    organisation: Organisation,
    rule: Rule,
    *,
    enabled: bool,
    threshold: int | None,
    window_s: int | None,
    severity: str,
    automatic_responses: bool,
    acting_user: User,
) -> RuleSetting:
    """Set how ``rule`` applies to ``organisation`` (None or "": the rule file's value).
    The engines pick it up at once in this process, within seconds in the others."""
    from . import tuning

    setting, _created = RuleSetting.objects.select_for_update().get_or_create(
        organisation=organisation, rule_id=rule.id
    )
    fields = ["enabled", "threshold", "window_s", "severity", "automatic_responses"]
    before = {name: getattr(setting, name) for name in fields}
    setting.enabled, setting.threshold, setting.window_s = enabled, threshold, window_s
    setting.severity, setting.automatic_responses = severity, automatic_responses
    setting.updated, setting.updated_by = timezone.now(), acting_user
    setting.save(update_fields=[*fields, "updated", "updated_by"])
    record_event(
        "detection.rule.tuned",
        actor=acting_user,
        organisation=organisation,
        target_type="detection_rule",
        target_id=rule.id,
        data={"rule": rule.id, "before": before, "after": {n: getattr(setting, n) for n in fields}},
    )
    transaction.on_commit(tuning.changed)
    return setting
