from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from telegarde.core.admin_audit import AuditedModelAdmin

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import Membership, Organisation, PatientProfile, PractitionerProfile, User


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    list_filter = ("is_active", "is_staff")
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "city")
    search_fields = ("name",)
    inlines = (MembershipInline,)


@admin.register(PractitionerProfile)
class PractitionerProfileAdmin(AuditedModelAdmin):
    list_display = ("user", "rpps", "profession", "specialty")
    search_fields = ("rpps", "user__email")


@admin.register(PatientProfile)
class PatientProfileAdmin(AuditedModelAdmin):
    list_display = ("birth_last_name", "first_names", "birth_date")
    search_fields = ("birth_last_name", "user__email")
