"""Shield decisions as security events, aggregated: at most one event per client per
interval (a minute by default), never one per refused request.

The middleware counts refusals in memory; ``flush`` writes the batch from a thread,
off the event loop. A flood from thousands of addresses writes the top
``MAX_CLIENTS_PER_FLUSH`` clients and one summary event that counts the rest.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

MAX_CLIENTS_PER_FLUSH = 100


@dataclass
class ClientTally:
    reasons: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.reasons.values())


@dataclass
class Window:
    started: float
    clients: dict[str, ClientTally] = field(default_factory=lambda: defaultdict(ClientTally))

    def count(self, client_ip: str, route_class: str, reason: str) -> None:
        tally = self.clients[client_ip]
        tally.reasons[reason] += 1
        tally.classes[route_class] += 1


def write_window(window: Window, ended: float, backend: str) -> int:
    """Record the window's events (runs in a thread); how many were written."""
    from telegarde.core.events import record_event

    if not window.clients:
        return 0
    seconds = round(ended - window.started, 1)
    ranked = sorted(window.clients.items(), key=lambda item: item[1].total, reverse=True)
    written = 0
    for client_ip, tally in ranked[:MAX_CLIENTS_PER_FLUSH]:
        record_event(
            "shield.decisions.aggregated",
            outcome="failure",
            source_ip=client_ip,
            data={
                "window_s": seconds,
                "refused": tally.total,
                "reasons": dict(tally.reasons),
                "classes": dict(tally.classes),
            },
        )
        written += 1
    record_event(
        "shield.decisions.summary",
        outcome="failure",
        data={
            "window_s": seconds,
            "clients": len(ranked),
            "clients_not_listed": max(0, len(ranked) - MAX_CLIENTS_PER_FLUSH),
            "refused": sum(t.total for _, t in ranked),
            "backend": backend,
        },
    )
    return written + 1


def write_event(action: str, data: dict[str, object], outcome: str = "success") -> None:
    """One shield event (backend fail-over, recovery)."""
    from telegarde.core.events import record_event

    record_event(action, outcome=outcome, data=data)
