"""Automatic responses: opt-in per rule, at most once per alert and target, each one an
event, each one reversible from the alert page.

Banning goes through a function named by ``TELEGARDE_DETECTION_BAN_FUNCTION`` (the
shield's ban function once it exists; until then the default records the request as an
event). Sessions are ended through ``telegarde.accounts.hooks``. Locking a booth and
quarantining a file are recorded as requests for the devices and documents apps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from telegarde.core.events import record_event

from .models import Alert, ResponseAction, RuleSetting
from .rules import Event, ResponseSpec, Rule

logger = logging.getLogger(__name__)


def request_ban(source: str, *, duration_s: int, reason: str) -> None:
    """Default ban function: record the request (the shield will act on it)."""
    record_event(
        "detection.ban.requested",
        target_type="ip",
        target_id=source,
        data={"duration_s": duration_s, "reason": reason},
    )


def request_unban(source: str, *, reason: str) -> None:
    record_event(
        "detection.ban.lifted", target_type="ip", target_id=source, data={"reason": reason}
    )


def _ban(target: str, spec: ResponseSpec, alert: Alert) -> str:
    ban: Callable[..., Any] = import_string(settings.DETECTION_BAN_FUNCTION)
    ban(target, duration_s=spec.duration, reason=f"alert {alert.external_id} ({alert.rule_id})")
    return f"{spec.duration} s"


def _revoke(target: str, spec: ResponseSpec, alert: Alert) -> str:
    from telegarde.accounts.hooks import do_revoke_user_sessions

    ended = do_revoke_user_sessions(
        target,
        reason=f"alert {alert.external_id} ({alert.rule_id})",
        second_factor_required=spec.kind == "force_reauth",
    )
    return f"{ended} session(s)"


def _request(target: str, spec: ResponseSpec, alert: Alert) -> str:
    record_event(
        "detection.response.requested",
        target_type=spec.kind,
        target_id=target,
        data={"kind": spec.kind, "alert": str(alert.external_id)},
    )
    return "requested"


APPLY: dict[str, Callable[[str, ResponseSpec, Alert], str]] = {
    "ban_source": _ban,
    "revoke_sessions": _revoke,
    "force_reauth": _revoke,
    "lock_device": _request,
    "quarantine_file": _request,
}


def automatic(rule: Rule, alert: Alert) -> bool:
    """Responses are opt-in: by the rule file, the installation, or the organisation."""
    if rule.automatic or rule.id in settings.DETECTION_AUTO_RESPONSES:
        return True
    return (
        alert.organisation_id is not None
        and RuleSetting.objects.filter(
            organisation_id=alert.organisation_id, rule_id=rule.id, automatic_responses=True
        ).exists()
    )


def respond(rule: Rule, alert: Alert, event: Event) -> list[ResponseAction]:
    """Apply the rule's responses for this hit, each at most once per alert and target."""
    taken: list[ResponseAction] = []
    if not rule.responses or not automatic(rule, alert):
        return taken
    for spec in rule.responses:
        target = str(event.get(spec.field) or "") if spec.field else str(alert.external_id)
        if not target:
            continue
        try:
            with transaction.atomic():
                action = ResponseAction.objects.create(
                    alert=alert, kind=spec.kind, target=target[:200], status="applied"
                )
        except IntegrityError:
            continue  # already taken for this alert: never twice
        try:
            with transaction.atomic():
                action.detail = APPLY[spec.kind](target, spec, alert)
        except Exception as exc:
            logger.exception("detection: response %s on %s failed", spec.kind, target)
            action.status, action.detail = ResponseAction.Status.FAILED, str(exc)[:500]
        action.save(update_fields=["status", "detail"])
        record_event(
            "detection.response.applied"
            if action.status == ResponseAction.Status.APPLIED
            else "detection.response.failed",
            outcome="success" if action.status == ResponseAction.Status.APPLIED else "failure",
            organisation=alert.organisation,
            target=alert,
            data={"kind": spec.kind, "on": target[:200], "detail": action.detail},
        )
        taken.append(action)
    return taken


@transaction.atomic
def do_revert_response(action: ResponseAction, *, acting_user: Any) -> None:
    """Undo a response from the alert page: lift a ban; ended sessions cannot come back,
    so reverting them only records the decision."""
    if action.status != ResponseAction.Status.APPLIED:
        return
    if action.kind == "ban_source":
        unban: Callable[..., Any] = import_string(settings.DETECTION_UNBAN_FUNCTION)
        unban(action.target, reason=f"reverted on alert {action.alert.external_id}")
    action.status = ResponseAction.Status.REVERTED
    action.reverted = timezone.now()
    action.save(update_fields=["status", "reverted"])
    record_event(
        "detection.response.reverted",
        actor=acting_user,
        organisation=action.alert.organisation,
        target=action.alert,
        data={"kind": action.kind, "on": action.target},
    )
