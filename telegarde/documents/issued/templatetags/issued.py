"""``{% issued_documents patient %}``: on a patient's documents page, what was issued to
them (with its verification code) and, for a practitioner who may, the links to issue."""

from __future__ import annotations

from typing import Any

from django import template

from telegarde.accounts.models import User

from .. import codes
from ..access import issued_for, issuing_organisation

register = template.Library()


@register.inclusion_tag("issued/_issued_section.html", takes_context=True)
def issued_documents(context: template.Context, patient: User) -> dict[str, Any]:
    user = context["request"].user
    issued = issued_for(user).filter(patient=patient)[:100]
    return {
        "patient": patient,
        "issued": [(item, codes.shown(item.code)) for item in issued],
        "can_issue": issuing_organisation(user, patient) is not None,
    }
