"""Prometheus counters of the shield's decisions, for this worker process.

Each worker counts its own decisions; a scrape reaches one worker, so run one worker per
instance behind nginx, or sum the ``instance`` series (see docs/shield.md).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping

DECISIONS = ("allowed", "queued", "rejected")


class Metrics:
    def __init__(self) -> None:
        self.decisions: Counter[tuple[str, str, str]] = Counter()
        self.backend_failovers = 0

    def count(self, decision: str, route_class: str, reason: str = "") -> None:
        self.decisions[(decision, route_class, reason)] += 1

    def render(
        self, gauges: dict[str, Callable[[], float]], budget_decisions: Mapping[str, int]
    ) -> bytes:
        """Prometheus text; ``budget_decisions`` counts, with Redis, where budget
        decisions were made (``redis``, ``refused_here``, ``alone``)."""
        pid = str(os.getpid())
        lines = [
            "# HELP telegarde_shield_decisions_total Requests decided by the shield.",
            "# TYPE telegarde_shield_decisions_total counter",
        ]
        for (decision, route_class, reason), count in sorted(self.decisions.items()):
            lines.append(
                f'telegarde_shield_decisions_total{{decision="{decision}",'
                f'class="{route_class}",reason="{reason}",worker="{pid}"}} {count}'
            )
        lines += [
            "# HELP telegarde_shield_backend_failovers_total Times Redis became unreachable.",
            "# TYPE telegarde_shield_backend_failovers_total counter",
            f'telegarde_shield_backend_failovers_total{{worker="{pid}"}} {self.backend_failovers}',
        ]
        if budget_decisions:
            lines += [
                "# HELP telegarde_shield_budget_decisions_total Budget decisions by where "
                "they were made.",
                "# TYPE telegarde_shield_budget_decisions_total counter",
            ]
            for where, count in sorted(budget_decisions.items()):
                lines.append(
                    f'telegarde_shield_budget_decisions_total{{where="{where}",worker="{pid}"}}'
                    f" {count}"
                )
        for name, read in sorted(gauges.items()):
            lines += [
                f"# TYPE telegarde_shield_{name} gauge",
                f'telegarde_shield_{name}{{worker="{pid}"}} {read():g}',
            ]
        return ("\n".join(lines) + "\n").encode()
