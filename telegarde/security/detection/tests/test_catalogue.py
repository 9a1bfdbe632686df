"""Every built-in rule fires on its positive case and stays quiet on its negative ones."""

from __future__ import annotations

import pytest

from telegarde.security.detection.engine import Engine
from telegarde.security.detection.rules import load_rules
from telegarde.security.detection.samples import cases

RULES = load_rules().rules
CASES = [(rule, name, events) for rule in RULES for name, events in cases(rule)]

THREATS_COVERED = {
    "brute_force_account",
    "password_spraying",
    "credential_stuffing",
    "mfa_failure_burst",
    "new_device_mass_read",
    "shield_flood",
    "shield_ban",
    "scanning",
    "malware_upload",
    "repeated_suspicious_uploads",
    "sas_mismatch",
    "signalling_fingerprint_mismatch",
    "record_exfiltration",
    "mass_modification",
    "privileged_role_granted",
    "back_office_granted",
    "mfa_removed_privileged",
    "event_log_chain_break",
    "patient_reported_phishing",
}


def test_it_ships_the_whole_catalogue_without_errors() -> None:
    ruleset = load_rules()
    assert ruleset.errors == []
    assert {rule.id for rule in ruleset.rules} == THREATS_COVERED


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_it_has_a_positive_and_a_negative_case_per_rule(rule: object) -> None:
    names = {name for name, _ in cases(rule)}  # type: ignore[arg-type]
    assert any(n.startswith("positive") for n in names)
    assert any(n.startswith("negative") for n in names)


@pytest.mark.parametrize(
    ("rule", "name", "events"), CASES, ids=[f"{r.id}-{n}" for r, n, _ in CASES]
)
def test_it_fires_only_on_positive_cases(rule: object, name: str, events: list[dict]) -> None:  # type: ignore[type-arg]
    # The whole catalogue runs, as in production: other rules must not disturb this one.
    engine = Engine(RULES)
    hits = [hit for event in events for hit in engine.process(event) if hit.rule is rule]
    assert bool(hits) == name.startswith("positive"), f"{len(hits)} hit(s)"
