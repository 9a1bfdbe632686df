from django.contrib import admin
from django.contrib.auth.models import Group

from .admin_audit import AuditedModelAdmin
from .models import SecurityEvent

# Roles live in memberships; Django's groups would be a second, unaudited way to grant access.
admin.site.unregister(Group)


@admin.register(SecurityEvent)
class SecurityEventAdmin(AuditedModelAdmin):
    list_display = ("seq", "created", "action", "outcome", "actor_email", "source_ip")
    list_filter = ("outcome",)
    search_fields = ("action", "actor_email", "target_id")
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
