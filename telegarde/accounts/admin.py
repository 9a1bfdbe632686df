from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from telegarde.core.admin_audit import AuditedModelAdmin

from .actions import do_grant_role, do_revoke_role
from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import Membership, Organisation, PatientProfile, PractitionerProfile, User


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0


class GrantsRolesThroughActions:
    """Role grants made in the back-office go through the same actions as everywhere
    else, so each one is an ``account.role.granted``/``revoked`` event."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
            return
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            do_revoke_role(membership, acting_user=request.user, request=request)  # type: ignore[arg-type]
        for membership in memberships:
            if membership.pk is not None:  # a changed role: revoke the old, grant the new
                old = Membership.objects.get(pk=membership.pk)
                do_revoke_role(old, acting_user=request.user, request=request)  # type: ignore[arg-type]
            do_grant_role(
                membership.user,
                membership.organisation,
                membership.role,
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )


@admin.register(User)
class UserAdmin(GrantsRolesThroughActions, AuditedModelAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
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
class OrganisationAdmin(GrantsRolesThroughActions, AuditedModelAdmin):
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
