"""The engine: in order, missing fields tolerated, memory bounded by active groups."""

from __future__ import annotations

from telegarde.security.detection.engine import Engine, MemoryAlerts, MemoryState, flatten
from telegarde.security.detection.rules import load_rules

RULES = load_rules().rules


def failed(email: str, ip: str, ts: float, n: int = 0) -> dict[str, object]:
    return {
        "event.action": "auth.login.failed",
        "event.outcome": "failure",
        "event.id": f"e{ts}-{n}",
        "telegarde.data.email": email,
        "source.ip": ip,
        "ts": ts,
    }


def test_it_skips_events_without_the_grouping_field() -> None:
    engine = Engine(RULES)
    for i in range(50):
        assert engine.process({"event.action": "auth.login.failed", "ts": float(i)}) == []
    assert engine.process({"ts": 1.0}) == []
    assert engine.skipped > 0


def test_it_deduplicates_within_the_suppress_window() -> None:
    engine, alerts = Engine(RULES), MemoryAlerts()
    for i in range(40):
        for hit in engine.process(failed("a@x.fr", "203.0.113.1", 1000.0 + i, i)):
            alerts.add(hit)
    brute = [a for a in alerts.alerts if a.rule.id == "brute_force_account"]
    assert len(brute) == 1 and brute[0].count == 31
    # After the suppress window, the same group raises a new alert.
    for i in range(10):
        for hit in engine.process(failed("a@x.fr", "203.0.113.1", 9000.0 + i, i)):
            alerts.add(hit)
    assert len([a for a in alerts.alerts if a.rule.id == "brute_force_account"]) == 2


def test_its_memory_follows_active_groups_not_events() -> None:
    state = MemoryState()
    engine = Engine(RULES, state)
    for i in range(200_000):
        # 200,000 events from 200 sources, each source on one account, over ~55 hours.
        engine.process(failed(f"user{i % 200}@x.fr", f"10.0.{i % 200 // 250}.{i % 200}", i, i))
    assert state.size() <= 2 * 200 * 3
    windows = {k: len(v) for k, v in state.counts.items()}
    # A window holds its threshold's worth (brute force: 10), not the event count; only
    # a ratio window keeps real counts, capped at 10,000.
    assert max(n for k, n in windows.items() if not k.endswith(("all", "where"))) <= 10
    assert max(windows.values()) <= 10_000


def test_it_flattens_an_ecs_document() -> None:
    flat = flatten(
        {
            "@timestamp": "2026-11-30T07:39:29.779Z",
            "event": {"action": "auth.login.failed", "id": "x"},
            "telegarde": {"data": {"email": "a@b.fr"}},
        }
    )
    assert flat["telegarde.data.email"] == "a@b.fr"
    assert flat["event.action"] == "auth.login.failed"
    assert abs(flat["ts"] - 1796024369.779) < 0.01
