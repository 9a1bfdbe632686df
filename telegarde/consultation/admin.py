from django.contrib import admin

from telegarde.core.admin_audit import AuditedModelAdmin

from .models import StatusNotice


@admin.register(StatusNotice)
class StatusNoticeAdmin(AuditedModelAdmin):
    """The operator publishes incidents and maintenance on /status from here."""

    list_display = ("level", "message", "starts_at", "ends_at")
    exclude = ("created_by",)
