"""Per-organisation tuning of rules, as the live engine applies it.

A security officer may turn a built-in rule off for their organisation, or change its
threshold, window or severity (``RuleSetting``). The engine asks ``OrganisationTunings``
for the rule as it applies to each matching event: only rules that some organisation
tuned cost anything (the event's organisation is looked up, then cached). A variant with
another threshold or window keeps its own correlation windows and alerts (its
``scope``); a severity-only variant shares the rule's. Tunings are read again every
``REFRESH_S`` seconds, and at once in the process where a change was committed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

from .rules import Event, Rule

logger = logging.getLogger(__name__)
REFRESH_S = 10.0
MAX_CACHED = 20_000
_generation = 0  # bumped on commit of a change in this process


@dataclass(frozen=True)
class Tuning:
    enabled: bool = True
    threshold: int | None = None
    window_s: int | None = None
    severity: str = ""


def tuned_rule(rule: Rule, organisation: str, tuning: Tuning) -> Rule | None:
    """``rule`` as ``tuning`` changes it for ``organisation``; None when turned off."""
    if not tuning.enabled:
        return None
    changes: dict[str, Any] = {}
    if tuning.severity and tuning.severity != rule.severity:
        changes["severity"] = tuning.severity
    spec = rule.correlation
    if spec is not None:
        gte = tuning.threshold or spec.gte
        timespan = tuning.window_s or spec.timespan
        if (gte, timespan) != (spec.gte, spec.timespan):
            changes["correlation"] = dataclasses.replace(spec, gte=gte, timespan=timespan)
            changes["scope"] = f"{organisation}/{gte}/{timespan}"
    return dataclasses.replace(rule, **changes) if changes else rule


def changed() -> None:
    """A tuning changed in this process (called on commit): read them again now."""
    global _generation
    _generation += 1


class OrganisationTunings:
    """The engine's ``tune`` hook: {rule id: {organisation external id: Tuning}}."""

    def __init__(self, refresh_s: float = REFRESH_S) -> None:
        self.refresh_s = refresh_s
        self.tunings: dict[str, dict[str, Tuning]] = {}
        self.loaded_at = float("-inf")
        self.generation = -1
        self.organisations: dict[tuple[Any, ...], str] = {}
        self.variants: dict[tuple[str, str], Rule | None] = {}

    def __call__(self, rule: Rule, event: Event) -> Rule | None:
        if time.monotonic() - self.loaded_at > self.refresh_s or self.generation != _generation:
            self.load()
        by_organisation = self.tunings.get(rule.id)
        if not by_organisation:
            return rule
        organisation = self.organisation_of(event)
        tuning = by_organisation.get(organisation) if organisation else None
        if tuning is None:
            return rule
        key = (rule.id, organisation)
        if key not in self.variants:
            self.variants[key] = tuned_rule(rule, organisation, tuning)
        return self.variants[key]

    def load(self) -> None:
        from .models import RuleSetting

        self.generation, self.loaded_at = _generation, time.monotonic()
        try:
            rows = RuleSetting.objects.values_list(
                "rule_id",
                "organisation__external_id",
                "enabled",
                "threshold",
                "window_s",
                "severity",
            )
            tunings: dict[str, dict[str, Tuning]] = {}
            for rule_id, organisation, enabled, threshold, window_s, severity in rows:
                tuning = Tuning(enabled, threshold, window_s, severity)
                if tuning != Tuning():
                    tunings.setdefault(rule_id, {})[str(organisation)] = tuning
        except Exception:  # the database away: keep the tunings in force, retry later
            logger.exception("detection: cannot read the rule tunings")
            return
        self.tunings, self.variants, self.organisations = tunings, {}, {}

    def organisation_of(self, event: Event) -> str:
        """The external id of the organisation ``event`` concerns ("" for none), cached."""
        from .actions import organisation_for

        key = (event.get("organization.id"), event.get("user.id"), event.get("telegarde.target.id"))
        found = self.organisations.get(key)
        if found is None:
            if len(self.organisations) >= MAX_CACHED:
                self.organisations.clear()
            organisation = organisation_for(event)
            found = self.organisations[key] = str(organisation.external_id) if organisation else ""
        return found
