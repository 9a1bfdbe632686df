"""The health panel: refused rule files, dead notifications, engines and stream lag."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet

from .models import Alert, Delivery, EngineHealth, Severity


def open_by_severity(alerts: QuerySet[Alert]) -> list[tuple[str, str, int]]:
    counts = dict(
        alerts.filter(status__in=Alert.OPEN_STATUSES)
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return [
        (value, str(label), counts.get(value, 0)) for value, label in reversed(Severity.choices)
    ]


def panel(organisation: Any) -> dict[str, Any]:
    from .live import feed, rule_set

    live = feed()
    return {
        "mode": settings.DETECTION_MODE,
        "rules": len(rule_set().rules),
        "rule_errors": [str(e) for e in rule_set().errors],
        "dead": Delivery.objects.filter(
            status=Delivery.Status.DEAD, alert__organisation=organisation
        )[:10],
        "engines": EngineHealth.objects.order_by("name")[:10],
        "live": {
            "processed": live.processed,
            "dropped": live.dropped,
            "errors": live.errors,
            "last_error": live.last_error,
        }
        if live is not None
        else None,
        "stream": _stream() if settings.DETECTION_MODE == "stream" else None,
    }


def _stream() -> dict[str, Any]:
    from .stream import stream_lag

    return stream_lag()
