"""Every change through the back-office (Django admin) becomes a security event."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import admin

from telegarde.accounts.models import Organisation
from telegarde.conftest import Personas, last_event
from telegarde.core.admin_audit import AuditedModelAdmin
from telegarde.core.models import SecurityEvent


def test_every_registered_admin_is_audited() -> None:
    unaudited = [
        model._meta.label for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]  # fmt: skip
    assert unaudited == []


def back_office(personas: Personas, login: Any) -> Any:
    officer = personas.security_officer
    officer.is_staff = officer.is_superuser = True
    officer.save(update_fields=["is_staff", "is_superuser"])
    client = login(officer)
    session = client.session
    session["telegarde.stepped_up_at"] = time.time()  # as after proving the second factor
    session.save()
    return client


def test_the_back_office_login_is_the_platforms_login(db: None, client: Any) -> None:
    response = client.get("/gestion/login/?next=/gestion/accounts/user/")
    assert response["Location"] == "/comptes/connexion/?next=%2Fgestion%2Faccounts%2Fuser%2F"


def test_a_back_office_change_needs_a_recent_second_factor(personas: Personas, login: Any) -> None:
    officer = personas.security_officer
    officer.is_staff = officer.is_superuser = True
    officer.save(update_fields=["is_staff", "is_superuser"])
    client = login(officer)
    assert client.get("/gestion/accounts/organisation/").status_code == 200
    response = client.post(
        "/gestion/accounts/organisation/add/", {"name": "Sans confirmation", "kind": "msp"}
    )
    assert response["Location"].startswith("/comptes/confirmer/")
    assert not Organisation.objects.filter(name="Sans confirmation").exists()


def test_adding_changing_and_deleting_through_the_admin_is_recorded(
    personas: Personas, login: Any
) -> None:
    client = back_office(personas, login)
    response = client.post(
        "/gestion/accounts/organisation/add/",
        {"name": "Cabinet Admin", "kind": "gp_practice", "city": "Nantes",
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organisation.objects.get(name="Cabinet Admin")
    created = last_event("admin.object.created")
    assert (created.target_type, created.target_id) == (
        "accounts.organisation",
        str(org.external_id),
    )
    assert created.actor_id == str(personas.security_officer.external_id)

    client.post(
        f"/gestion/accounts/organisation/{org.pk}/change/",
        {"name": "Cabinet Admin", "kind": "gp_practice", "city": "Rennes",
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert last_event("admin.object.changed").data == {"fields": ["Ville"]}

    client.post(
        "/gestion/accounts/organisation/",
        {"action": "delete_selected", "_selected_action": [org.pk], "post": "yes"},
    )
    assert not Organisation.objects.filter(pk=org.pk).exists()
    assert last_event("admin.object.deleted").target_id == str(org.external_id)


def test_the_event_log_cannot_be_edited_from_the_admin(personas: Personas, login: Any) -> None:
    client = back_office(personas, login)
    event = SecurityEvent.objects.first()
    assert event is not None
    assert client.get(f"/gestion/core/securityevent/{event.pk}/change/").status_code == 200
    client.post(f"/gestion/core/securityevent/{event.pk}/delete/", {"post": "yes"})
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
    assert client.get("/gestion/core/securityevent/add/").status_code == 403


def test_a_role_added_in_the_back_office_is_a_role_grant_event(
    personas: Personas, login: Any
) -> None:
    client = back_office(personas, login)
    org = personas.organisation
    existing = list(org.memberships.all())
    form: dict[str, Any] = {
        "name": org.name, "kind": org.kind, "city": org.city,
        "memberships-TOTAL_FORMS": str(len(existing) + 1),
        "memberships-INITIAL_FORMS": str(len(existing)),
    }  # fmt: skip
    for i, membership in enumerate(existing):
        form.update(
            {
                f"memberships-{i}-id": str(membership.pk),
                f"memberships-{i}-organisation": str(org.pk),
                f"memberships-{i}-user": str(membership.user_id),
                f"memberships-{i}-role": membership.role,
            }
        )
    new = len(existing)
    form.update(
        {
            f"memberships-{new}-organisation": str(org.pk),
            f"memberships-{new}-user": str(personas.outsider.pk),
            f"memberships-{new}-role": "practitioner",
        }
    )
    response = client.post(f"/gestion/accounts/organisation/{org.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    granted = last_event("account.role.granted")
    assert granted.target_id == str(personas.outsider.external_id)
    assert granted.data == {"role": "practitioner"}
    assert granted.actor_id == str(personas.security_officer.external_id)


def test_createsuperuser_is_recorded(db: None) -> None:
    from django.core.management import call_command

    call_command("createsuperuser", email="chef@test.fr", interactive=False, verbosity=0)
    assert last_event("account.user.created").actor_id == ""
    assert last_event("account.back_office.granted").target_type == "user"
