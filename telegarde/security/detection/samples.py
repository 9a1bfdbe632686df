"""Events described compactly in a rule's ``tests`` section, expanded for the engine.

Each item is a flat event with two extra keys: ``repeat`` (how many copies, default 1)
and ``every`` (seconds between copies, default 1); ``{i}`` in a text value is replaced
by the copy's number. Items follow each other in time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from .rules import Event, Rule

START = 1_800_000_000.0  # 2027-01-15, any fixed instant will do


def expand(items: Iterable[dict[str, Any]], start: float = START) -> Iterator[Event]:
    ts = start
    for item in items:
        repeat = int(item.get("repeat", 1))
        every = float(item.get("every", 1))
        for i in range(repeat):
            event: Event = {
                key: value.replace("{i}", str(i)) if isinstance(value, str) else value
                for key, value in item.items()
                if key not in {"repeat", "every"}
            }
            event.setdefault("event.outcome", "unknown")
            event["event.id"] = str(uuid.UUID(int=int(ts * 1000) * 1000 + i))
            event["ts"] = ts
            yield event
            ts += every


def cases(rule: Rule) -> Iterator[tuple[str, list[Event]]]:
    """(name, events) for every case of the rule's ``tests`` section."""
    for name, items in (rule.raw.get("tests") or {}).items():
        yield name, list(expand(items))
