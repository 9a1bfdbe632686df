"""Every change made through the Django admin becomes a security event.

All project admins derive from ``AuditedModelAdmin``; a test walks the admin registry to
make sure none is left out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .events import record_event


def _target_id(obj: Model) -> str:
    return str(getattr(obj, "external_id", None) or obj.pk)


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        record_event(
            "admin.object.created",
            request=request,
            target_type=obj._meta.label_lower,
            target_id=_target_id(obj),
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        changed: list[str] = []
        for part in message if isinstance(message, list) else []:
            changed.extend(part.get("changed", {}).get("fields", []))
        record_event(
            "admin.object.changed",
            request=request,
            target_type=obj._meta.label_lower,
            target_id=_target_id(obj),
            data={"fields": changed},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for obj in queryset:
            record_event(
                "admin.object.deleted",
                request=request,
                target_type=obj._meta.label_lower,
                target_id=_target_id(obj),
            )
        return super().log_deletions(request, queryset)
