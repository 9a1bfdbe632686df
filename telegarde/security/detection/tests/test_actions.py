"""Alert recording (dedup, idempotence, organisation), lifecycle and responses."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from telegarde.conftest import Personas, last_event
from telegarde.security.detection.actions import (
    do_comment_alert,
    do_record_hit,
    do_set_alert_status,
)
from telegarde.security.detection.models import Alert, AlertEvent, ResponseAction
from telegarde.security.detection.responses import do_revert_response

from .conftest import make_hit

pytestmark = pytest.mark.django_db


def test_it_raises_an_alert_and_records_its_event(personas: Personas, raise_alert: Any) -> None:
    alert = raise_alert(
        "sas_mismatch", **{"organization.id": str(personas.organisation.external_id)}
    )
    assert alert.organisation == personas.organisation
    assert (alert.severity, alert.threat, alert.status) == ("critical", "man_in_the_middle", "new")
    event = last_event("detection.alert.raised")
    assert event.target_id == str(alert.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)


def test_it_updates_one_alert_within_the_suppress_window(raise_alert: Any) -> None:
    first = raise_alert("sas_mismatch", ts=1_800_000_000.0)
    again = raise_alert("sas_mismatch", ts=1_800_000_100.0)
    assert again.pk == first.pk
    assert Alert.objects.get(pk=first.pk).count == 2
    later = raise_alert("sas_mismatch", ts=1_800_000_100.0 + 3601)
    assert later.pk != first.pk


def test_it_ignores_an_event_counted_before(raise_alert: Any) -> None:
    alert = raise_alert("sas_mismatch", **{"event.id": "same"})
    hit = make_hit(
        "sas_mismatch", {"event.id": "same", "ts": 1_800_000_001.0, "telegarde.target.id": "room-1"}
    )
    assert do_record_hit(hit) is None
    assert Alert.objects.get(pk=alert.pk).count == 1
    assert AlertEvent.objects.filter(alert=alert).count() == 1


def test_it_finds_the_organisation_of_the_user_concerned(
    personas: Personas, raise_alert: Any
) -> None:
    alert = raise_alert(
        "mfa_failure_burst", **{"telegarde.target.id": str(personas.practitioner.external_id)}
    )
    assert alert.organisation == personas.organisation
    platform = raise_alert("password_spraying", **{"source.ip": "203.0.113.9"})
    assert platform.organisation is None


def test_it_moves_along_the_lifecycle(personas: Personas, raise_alert: Any) -> None:
    alert = raise_alert()
    officer = personas.security_officer
    do_set_alert_status(alert, "acknowledged", acting_user=officer)
    assert (alert.status, alert.assignee) == ("acknowledged", officer)
    assert last_event("detection.alert.status_changed").data == {
        "from": "new",
        "to": "acknowledged",
    }
    do_set_alert_status(alert, "false_positive", acting_user=officer)
    with pytest.raises(ValidationError):
        do_set_alert_status(alert, "resolved", acting_user=officer)
    do_comment_alert(alert, "Vérifié avec le cabinet.", acting_user=officer)
    assert alert.comments.get().body == "Vérifié avec le cabinet."
    assert last_event("detection.alert.commented").actor_id == str(officer.external_id)


def test_it_does_not_respond_unless_opted_in(raise_alert: Any) -> None:
    alert = raise_alert("shield_flood", **{"source.ip": "203.0.113.66"})
    assert not alert.responses.exists()


@override_settings(DETECTION_AUTO_RESPONSES=["shield_flood"])
def test_it_bans_once_per_alert_and_target_and_reverts(
    personas: Personas, raise_alert: Any
) -> None:
    alert = raise_alert("shield_flood", **{"source.ip": "203.0.113.66"})
    raise_alert(
        "shield_flood", ts=1_800_000_010.0, **{"source.ip": "203.0.113.66", "event.id": "b"}
    )
    [action] = ResponseAction.objects.filter(alert=alert)
    assert (action.kind, action.target, action.status) == ("ban_source", "203.0.113.66", "applied")
    # The shield really bans the source (and lifts the ban when the response is reverted).
    from telegarde.security.shield.models import Ban

    ban = Ban.objects.get(network="203.0.113.66/32")
    assert ban.lifted is None and (ban.expires - ban.created).total_seconds() == 3600
    assert last_event("shield.ban.added").data["source"] == "detection"
    assert last_event("detection.response.applied").data["kind"] == "ban_source"
    do_revert_response(action, acting_user=personas.security_officer)
    action.refresh_from_db()
    assert action.status == "reverted"
    ban.refresh_from_db()
    assert ban.lifted is not None
    assert last_event("shield.ban.lifted").data
    assert last_event("detection.response.reverted").actor_id == str(
        personas.security_officer.external_id
    )


@override_settings(DETECTION_AUTO_RESPONSES=["mfa_failure_burst"])
def test_it_revokes_the_sessions_of_the_account_under_attack(
    personas: Personas, raise_alert: Any
) -> None:
    user = personas.practitioner
    alert = raise_alert(
        "mfa_failure_burst",
        **{"telegarde.target.id": str(user.external_id), "source.ip": "203.0.113.5"},
    )
    kinds = set(alert.responses.values_list("kind", "status"))
    assert kinds == {("revoke_sessions", "applied"), ("ban_source", "applied")}
