"""Alerts over time per threat, as server-rendered SVG (no script: the CSP forbids
inline code, and a chart needs none)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, Threat

WIDTH, HEIGHT, LEFT, BOTTOM = 640, 180, 30, 20
COLOURS = {
    "phishing": "#b35806",
    "malware": "#8c2d04",
    "denial_of_service": "#542788",
    "password_theft": "#2166ac",
    "man_in_the_middle": "#1b7837",
    "data_loss": "#b2182b",
    "other": "#4d4d4d",
}


def alerts_chart(alerts: QuerySet[Alert], days: int) -> dict[str, Any]:
    """Stacked bars: one per day, one colour per threat; returns what the template draws."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        alerts.filter(first_seen__date__gte=first)
        .annotate(day=TruncDate("first_seen"))
        .values_list("day", "threat")
        .annotate(n=Count("id"))
    )
    per_day: dict[Any, dict[str, int]] = {}
    for day, threat, n in rows:
        per_day.setdefault(day, {})[threat] = n
    peak = max((sum(v.values()) for v in per_day.values()), default=0) or 1
    step = (WIDTH - LEFT) / days
    bars = []
    for index in range(days):
        day = first + timedelta(days=index)
        y = float(HEIGHT - BOTTOM)
        for threat, n in sorted(per_day.get(day, {}).items()):
            h = (HEIGHT - BOTTOM - 10) * n / peak
            y -= h
            bars.append(
                {
                    "x": round(LEFT + index * step + 1, 1),
                    "y": round(y, 1),
                    "w": round(max(step - 2, 1), 1),
                    "h": round(h, 1),
                    "colour": COLOURS.get(threat, "#999"),
                    "label": f"{day}: {n} {threat}",
                }
            )
    legend = [
        (str(label), COLOURS[value])
        for value, label in Threat.choices
        if any(value in v for v in per_day.values())
    ]
    return {
        "bars": bars,
        "legend": legend,
        "peak": peak,
        "width": WIDTH,
        "height": HEIGHT,
        "first": first,
        "last": today,
        "axis_y": HEIGHT - BOTTOM,
        "left": LEFT,
    }
