"""The incremental detection engine: events in, in order; hits and alerts out.

Events are flat dictionaries keyed by ECS dotted names (``event.action``,
``source.ip``, ``telegarde.data.email``…) plus ``ts`` (epoch seconds) and ``event.id``.
Correlation state lives behind a small interface: in memory for the embedded profile,
replays and the benchmark (``MemoryState``), in Redis for scaled-out workers
(``stream.RedisState``). Memory is bounded by the number of active groups: each
window keeps at most its threshold's worth of entries, and idle groups are swept.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .rules import Event, Rule, Test

SWEEP_EVERY = 50_000
# The rule as it applies to this event (an organisation's tuning), or None: not for it.
Tune = Callable[[Rule, Event], Rule | None]


def flatten(doc: Mapping[str, Any], prefix: str = "", out: Event | None = None) -> Event:
    """An ECS document (nested) as a flat event; adds ``ts`` from ``@timestamp``."""
    top = out is None
    flat: Event = {} if out is None else out
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flatten(value, name + ".", flat)
        else:
            flat[name] = value
    if top:
        stamp = flat.get("@timestamp")
        try:
            flat["ts"] = datetime.fromisoformat(str(stamp)).timestamp() if stamp else 0.0
        except ValueError:
            flat["ts"] = 0.0
    return flat


def iter_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, Event | None]]:
    """(line number, flat event or None when the line is not a JSON object)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            yield number, None
            continue
        yield number, flatten(doc) if isinstance(doc, dict) else None


class State(Protocol):
    def count(self, key: str, member: str, ts: float, window: int, cap: int) -> int: ...
    def distinct(self, key: str, value: str, ts: float, window: int, cap: int) -> int: ...


class MemoryState:
    """Sliding windows in this process. A window keeps at most ``cap`` entries (the
    threshold): the newest ``cap`` suffice to decide whether ``cap`` fall in the window.

    A distinct-count window is a plain dict, value → time last seen, in the order the
    values were last seen (a value seen again is moved to the end): the oldest is first,
    so expiry stops at the first value still inside the window."""

    def __init__(self) -> None:
        self.counts: dict[str, deque[float]] = {}
        self.values: dict[str, dict[str, float]] = {}

    def count(self, key: str, member: str, ts: float, window: int, cap: int) -> int:
        stamps = self.counts.get(key)
        if stamps is None:
            stamps = self.counts[key] = deque(maxlen=cap)
        stamps.append(ts)
        limit = ts - window
        while stamps[0] < limit:
            stamps.popleft()
        return len(stamps)

    def distinct(self, key: str, value: str, ts: float, window: int, cap: int) -> int:
        seen = self.values.get(key)
        if seen is None:
            self.values[key] = {value: ts}
            return 1
        if value in seen:
            del seen[value]  # re-inserted at the end: the most recently seen
        seen[value] = ts
        while len(seen) > cap:
            del seen[next(iter(seen))]
        limit = ts - window
        oldest = next(iter(seen))
        while seen[oldest] < limit:
            del seen[oldest]
            oldest = next(iter(seen))
        return len(seen)

    def sweep(self, now: float, horizon: int) -> None:
        """Forget groups with nothing newer than ``horizon`` seconds."""
        limit = now - horizon
        for key in [k for k, v in self.counts.items() if not v or v[-1] < limit]:
            del self.counts[key]
        for key in [
            k for k, v in self.values.items() if not v or next(reversed(v.values())) < limit
        ]:
            del self.values[key]

    def size(self) -> int:
        return len(self.counts) + len(self.values)


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule fired on an event: the event crossed (or stayed above) the threshold."""

    rule: Rule
    group_key: str
    group: dict[str, str]
    event: Event
    ts: float
    value: int  # the correlation count at this event (1 without correlation)

    @property
    def event_id(self) -> str:
        return str(self.event.get("event.id") or f"{self.rule.id}:{self.ts}")


# A rule compiled for one engine: (event, its time) -> a hit or None.
Evaluate = Callable[[Event, float], Hit | None]
RATIO_CAP = 10_000  # a ratio needs real counts: over the last 10,000 at most


class Engine:
    """Evaluates every enabled rule on each event, in the order events are given;
    ``tune`` (live mode) swaps in an organisation's variant of a rule, or skips it.

    Each rule is compiled once into a closure with its keys, fields and thresholds
    bound, and indexed by event action: an event meets only the rules of its action."""

    def __init__(
        self, rules: Iterable[Rule], state: State | None = None, tune: Tune | None = None
    ) -> None:
        self.rules = [r for r in rules if r.enabled]
        self.state: State = state if state is not None else MemoryState()
        self.tune = tune
        self.plans: dict[str, list[tuple[Rule, Test | None, Evaluate]]] = {}
        for rule in self.rules:
            plan = (rule, _match(rule.tests), self._compile(rule))
            for action in rule.actions:
                self.plans.setdefault(action, []).append(plan)
        # Tuned variants, compiled on first use; a variant is kept alive by its entry.
        self._variants: dict[int, tuple[Rule, Evaluate]] = {}
        self.horizon = max(
            (r.correlation.timespan for r in self.rules if r.correlation), default=600
        )
        self.events = 0
        self.skipped = 0

    def process(self, event: Event) -> list[Hit]:
        self.events += 1
        if self.events % SWEEP_EVERY == 0 and isinstance(self.state, MemoryState):
            self.state.sweep(float(event.get("ts") or 0.0), self.horizon)
        plan = self.plans.get(event.get("event.action"))  # type: ignore[arg-type]
        hits: list[Hit] = []
        if plan is None:
            return hits
        ts: float | None = None
        for rule, match, evaluate in plan:
            if match is not None and not match(event):
                continue
            if self.tune is not None:
                tuned = self.tune(rule, event)
                if tuned is None:
                    continue
                if tuned is not rule:
                    evaluate = self._variant(tuned)
            if ts is None:
                ts = float(event.get("ts") or 0.0)
            hit = evaluate(event, ts)
            if hit is not None:
                hits.append(hit)
        return hits

    def _variant(self, rule: Rule) -> Evaluate:
        known = self._variants.get(id(rule))
        if known is not None and known[0] is rule:
            return known[1]
        if len(self._variants) >= 10_000:  # tunings reloaded many times: start afresh
            self._variants.clear()
        if rule.correlation and rule.correlation.timespan > self.horizon:
            self.horizon = rule.correlation.timespan  # keep its windows
        evaluate = self._compile(rule)
        self._variants[id(rule)] = (rule, evaluate)
        return evaluate

    def _compile(self, rule: Rule) -> Evaluate:
        """``rule``'s grouping and correlation as one closure over its constants."""
        names = rule.group_by
        scope = f"{rule.scope}\x1d" if rule.scope else ""
        prefix = f"{rule.id}\x1e"  # a window's key: rule id, then the group key
        spec = rule.correlation
        state = self.state
        engine = self

        def group_of(event: Event) -> list[str] | None:
            values = []
            for name in names:
                value = event.get(name)
                if value is None or value == "":
                    engine.skipped += 1  # an event without the grouping field cannot be placed
                    return None
                values.append(value if type(value) is str else str(value))
            return values

        if spec is None:

            def single(event: Event, ts: float) -> Hit | None:
                values = group_of(event)
                if values is None:
                    return None
                group_key = scope + "\x1f".join(values)
                return Hit(rule, group_key, dict(zip(names, values, strict=True)), event, ts, 1)

            return single

        timespan, gte = spec.timespan, spec.gte
        count, distinct = state.count, state.distinct
        counting = spec.kind == "event_count"
        field = spec.value
        also = tuple((extra.field, extra.gte, f"\x1e{n}") for n, extra in enumerate(spec.also))
        ratio_where = _match(spec.ratio_where) if spec.ratio_where else None
        ratio_gte = spec.ratio_gte

        def correlated(event: Event, ts: float) -> Hit | None:
            values = group_of(event)
            if values is None:
                return None
            group_key = scope + "\x1f".join(values)
            key = prefix + group_key
            if counting:
                value = count(key, str(event.get("event.id") or ts), ts, timespan, gte)
            else:
                seen = field(event)  # type: ignore[misc]
                value = (
                    0 if seen is None or seen == "" else distinct(key, str(seen), ts, timespan, gte)
                )
            satisfied = value >= gte
            # Every window is updated, even once the answer is known to be no.
            for get, extra_gte, suffix in also:
                seen = get(event)
                if seen is None or seen == "":
                    satisfied = False  # an event without the extra field cannot pass on it
                    continue
                got = distinct(key + suffix, str(seen), ts, timespan, extra_gte)
                satisfied = satisfied and got >= extra_gte
            if ratio_where is not None:
                member = str(event.get("event.id") or ts)
                total = count(key + "\x1eall", member, ts, timespan, RATIO_CAP)
                kept = (
                    count(key + "\x1ewhere", member, ts, timespan, RATIO_CAP)
                    if ratio_where(event)
                    else _peek(state, key + "\x1ewhere", ts, timespan)
                )
                satisfied = satisfied and total > 0 and kept / total >= ratio_gte
            if not satisfied:
                return None
            return Hit(rule, group_key, dict(zip(names, values, strict=True)), event, ts, value)

        return correlated


def _match(tests: tuple[Test, ...]) -> Test | None:
    """All of ``tests`` as one test; None when there is nothing to test."""
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]

    def every(event: Event) -> bool:
        return all(test(event) for test in tests)

    return every


def _peek(state: State, key: str, ts: float, window: int) -> int:
    """Entries of a count window without adding one."""
    if isinstance(state, MemoryState):
        stamps = state.counts.get(key)
        if not stamps:
            return 0
        limit = ts - window
        while stamps and stamps[0] < limit:  # in order: expired entries are at the left
            stamps.popleft()
        return len(stamps)
    peek = getattr(state, "peek", None)
    return int(peek(key, ts, window)) if peek is not None else 0


@dataclass
class MemoryAlert:
    """An alert as the replay command and the benchmark keep it (no database)."""

    rule: Rule
    group: dict[str, str]
    first_seen: float
    last_seen: float
    count: int = 1
    event_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "severity": self.rule.severity,
            "threat": self.rule.threat,
            "title": self.rule.title,
            "group": self.group,
            "count": self.count,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "events": self.event_ids[:20],
        }


def _iso(ts: float) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class MemoryAlerts:
    """Deduplication in memory: a hit within ``suppress`` of the same rule and group's
    last hit updates that alert instead of raising a new one."""

    def __init__(self, keep: int = 100_000) -> None:
        self.alerts: list[MemoryAlert] = []
        self.open: dict[tuple[str, str], MemoryAlert] = {}
        self.keep = keep
        self.raised = 0

    def add(self, hit: Hit) -> MemoryAlert | None:
        """Record ``hit``; returns the alert when it is a new one."""
        key = (hit.rule.id, hit.group_key)
        alert = self.open.get(key)
        if alert is not None and hit.ts - alert.last_seen <= hit.rule.suppress:
            alert.count += 1
            alert.last_seen = max(alert.last_seen, hit.ts)
            if len(alert.event_ids) < 20:
                alert.event_ids.append(hit.event_id)
            return None
        alert = MemoryAlert(hit.rule, hit.group, hit.ts, hit.ts, 1, [hit.event_id])
        self.open[key] = alert
        self.raised += 1
        if len(self.alerts) < self.keep:
            self.alerts.append(alert)
        return alert

    def sweep(self, now: float) -> None:
        for key in [k for k, a in self.open.items() if now - a.last_seen > a.rule.suppress]:
            del self.open[key]
