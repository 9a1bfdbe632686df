"""Helpers for detection tests: hits built from rules, alerts raised through actions."""

from __future__ import annotations

from typing import Any

import pytest

from telegarde.security.detection.actions import do_record_hit
from telegarde.security.detection.engine import Hit
from telegarde.security.detection.live import rule_set
from telegarde.security.detection.models import Alert


def make_hit(rule_id: str, event: dict[str, Any], group: dict[str, str] | None = None) -> Hit:
    rule = rule_set().by_id()[rule_id]
    group = group if group is not None else {k: str(event[k]) for k in rule.group_by}
    return Hit(rule, "\x1f".join(group.values()), group, event, float(event["ts"]), 1)


@pytest.fixture
def raise_alert() -> Any:
    def make(rule_id: str = "sas_mismatch", **event: Any) -> Alert:
        event.setdefault("ts", 1_800_000_000.0)
        event.setdefault("event.id", f"ev-{event['ts']}")
        event.setdefault("telegarde.target.id", "room-1")
        result = do_record_hit(make_hit(rule_id, event))
        assert result is not None
        return result[0]

    return make
