"""Per-organisation tuning as the engine applies it: a rule turned off raises nothing for
that organisation and still does for another; a raised threshold delays the alert; a
severity change shows on the alert. The change itself is an action with its event."""

from __future__ import annotations

from typing import Any

import pytest

from telegarde.accounts.models import Organisation, User
from telegarde.conftest import Personas, last_event
from telegarde.security.detection.actions import do_record_hit, do_tune_rule
from telegarde.security.detection.engine import Engine
from telegarde.security.detection.live import rule_set
from telegarde.security.detection.models import Alert
from telegarde.security.detection.tuning import OrganisationTunings

pytestmark = pytest.mark.django_db
RULE = "brute_force_account"  # 10 failures on one account in 10 min


def tune(organisation: Organisation, officer: User, **changes: Any) -> None:
    values: dict[str, Any] = {
        "enabled": True,
        "threshold": None,
        "window_s": None,
        "severity": "",
        "automatic_responses": False,
    }
    values.update(changes)
    do_tune_rule(organisation, rule_set().by_id()[RULE], acting_user=officer, **values)


def failures(engine: Engine, account: User, n: int, start: int = 0) -> list[int]:
    """``n`` failed sign-ins on ``account``: the numbers (1-based) of those that hit."""
    hits = []
    for i in range(start, start + n):
        event = {
            "event.action": "auth.login.failed",
            "event.id": f"f-{account.pk}-{i}",
            "ts": 1_800_000_000.0 + i,
            "telegarde.data.email": account.email,
            "telegarde.target.id": str(account.external_id),
            "source.ip": "203.0.113.5",
        }
        for hit in engine.process(event):
            do_record_hit(hit)
            hits.append(i + 1)
    return hits


def test_a_rule_turned_off_stays_quiet_for_that_organisation_only(personas: Personas) -> None:
    tune(personas.organisation, personas.security_officer, enabled=False)
    engine = Engine(rule_set().rules, tune=OrganisationTunings())
    assert failures(engine, personas.practitioner, 15) == []
    assert failures(engine, personas.other_practitioner, 12) == [10, 11, 12]
    [alert] = Alert.objects.all()
    assert alert.organisation == personas.other_organisation


def test_a_raised_threshold_delays_the_alert(personas: Personas) -> None:
    tune(personas.organisation, personas.security_officer, threshold=14, severity="critical")
    engine = Engine(rule_set().rules, tune=OrganisationTunings())
    assert failures(engine, personas.practitioner, 13) == []
    assert failures(engine, personas.practitioner, 2, start=13) == [14, 15]
    assert failures(engine, personas.other_practitioner, 10) == [10]
    tuned = Alert.objects.get(organisation=personas.organisation)
    assert (tuned.severity, tuned.count, tuned.group) == (
        "critical",
        2,
        {"telegarde.data.email": personas.practitioner.email},
    )
    other = Alert.objects.get(organisation=personas.other_organisation)
    assert other.severity == "high"


def test_a_shorter_window_needs_the_failures_closer_together(personas: Personas) -> None:
    tune(personas.organisation, personas.security_officer, window_s=5)
    engine = Engine(rule_set().rules, tune=OrganisationTunings())
    assert failures(engine, personas.practitioner, 15) == []  # one a second: 6 in 5 s at most


def test_a_change_reaches_the_running_engine_on_commit(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    engine = Engine(rule_set().rules, tune=OrganisationTunings())
    assert failures(engine, personas.practitioner, 10) == [10]
    with django_capture_on_commit_callbacks(execute=True):
        tune(personas.organisation, personas.security_officer, enabled=False)
    assert failures(engine, personas.practitioner, 5, start=10) == []


def test_it_records_the_tuning_with_before_and_after(personas: Personas) -> None:
    tune(personas.organisation, personas.security_officer, threshold=20, window_s=1800)
    event = last_event("detection.rule.tuned")
    assert event.actor_id == str(personas.security_officer.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)
    assert (event.target_type, event.target_id) == ("detection_rule", RULE)
    assert event.data["before"]["threshold"] is None
    assert event.data["after"] == {
        "enabled": True,
        "threshold": 20,
        "window_s": 1800,
        "severity": "",
        "automatic_responses": False,
    }
