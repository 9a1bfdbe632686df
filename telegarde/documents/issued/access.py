"""Who may issue a document for a patient, see what was issued, and revoke it
(registered rules).

An issued document is a document of the patient's record: whoever may see the PDF
(documents.access.documents_for: the patient, the practitioners and staff of the
patient's organisations) sees the issued row. Issuing takes a practitioner with an RPPS
number, a member of an organisation where the person is a patient; revoking, its issuer.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from telegarde.accounts.access import organisations_for
from telegarde.accounts.models import Membership, Organisation, PractitionerProfile, User
from telegarde.core.permissions import has_perm, rule
from telegarde.documents.access import documents_for

from .models import IssuedDocument

Role = Membership.Role


def issued_for(user: User) -> QuerySet[IssuedDocument]:
    """Issued documents ``user`` may list: those of the documents they may see."""
    return (
        IssuedDocument.objects.filter(document__in=documents_for(user).values("pk"))
        .select_related("document", "issuer", "patient", "organisation")
        .order_by("-issued_at")
    )


def access_issued(user: User, external_id: uuid.UUID) -> IssuedDocument:
    """The issued document, or the same 404 whether it is missing or forbidden."""
    issued = issued_for(user).filter(external_id=external_id).first()
    if issued is None or not has_perm(user, "issued.view", issued):
        raise Http404("issued document")
    return issued


def issuing_organisation(user: User, patient: User) -> Organisation | None:
    """The organisation under which ``user`` may issue a document to ``patient``."""
    if not PractitionerProfile.objects.filter(user=user).exists() or user.pk == patient.pk:
        return None
    return (
        organisations_for(patient, Role.PATIENT)
        .filter(pk__in=organisations_for(user, Role.PRACTITIONER).values("pk"))
        .first()
    )


def may_issue(user: User, patient: User, organisation: Organisation) -> bool:
    """``user`` is a practitioner (with an RPPS number) of ``organisation``, where
    ``patient`` is a patient."""
    if not user.is_authenticated or not user.is_active or user.pk == patient.pk:
        return False
    if not PractitionerProfile.objects.filter(user=user).exists():
        return False
    return (
        organisations_for(user, Role.PRACTITIONER).filter(pk=organisation.pk).exists()
        and organisations_for(patient, Role.PATIENT).filter(pk=organisation.pk).exists()
    )


@rule("issued.view")
def _view(user: User, issued: Any) -> bool:
    return isinstance(issued, IssuedDocument) and has_perm(user, "document.view", issued.document)


@rule("issued.revoke")
def _revoke(user: User, issued: Any) -> bool:
    return isinstance(issued, IssuedDocument) and issued.issuer_id == user.pk
