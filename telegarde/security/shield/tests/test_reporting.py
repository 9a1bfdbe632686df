"""Shield decisions reach the security log aggregated, never one event per refusal."""

from __future__ import annotations

import asyncio
import time

from telegarde.core.models import SecurityEvent
from telegarde.security.shield import reporting
from telegarde.security.shield.config import Budget, ShieldSettings

from .asgi import request, settings, shield


def test_it_records_one_event_per_client_per_window(db: None) -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 1)}
    app, _ = shield(settings(budgets=budgets))

    async def flood() -> None:
        for _ in range(30):
            await request(app, peer="203.0.113.1")
        for _ in range(5):
            await request(app, peer="203.0.113.2")

    asyncio.run(flood())
    window, app.window = app.window, reporting.Window(started=time.time())
    assert reporting.write_window(window, time.time(), "memory") == 3
    events = SecurityEvent.objects.filter(action="shield.decisions.aggregated").order_by("seq")
    assert [(e.source_ip, e.data["refused"]) for e in events] == [
        ("203.0.113.1", 29),
        ("203.0.113.2", 4),
    ]
    assert events[0].data["reasons"] == {"budget": 29} and events[0].outcome == "failure"
    summary = SecurityEvent.objects.get(action="shield.decisions.summary")
    assert summary.data["clients"] == 2 and summary.data["refused"] == 33


def test_it_caps_the_clients_listed_per_window(db: None) -> None:
    window = reporting.Window(started=time.time() - 60)
    for index in range(reporting.MAX_CLIENTS_PER_FLUSH + 20):
        window.count(f"198.18.{index // 250}.{index % 250 + 1}", "page", "budget")
    reporting.write_window(window, time.time(), "memory")
    assert (
        SecurityEvent.objects.filter(action="shield.decisions.aggregated").count()
        == reporting.MAX_CLIENTS_PER_FLUSH
    )
    summary = SecurityEvent.objects.get(action="shield.decisions.summary")
    assert summary.data["clients_not_listed"] == 20
