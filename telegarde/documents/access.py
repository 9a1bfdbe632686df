"""Who may see a patient's documents, and who reviews the quarantine (registered rules).

A patient's documents are part of their record: the patient, and the practitioners and
staff ``patients_for`` lets look the patient up. The quarantine belongs to the security
officers (and administrators) of the organisation the file was uploaded to.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from telegarde.accounts.access import organisations_for, patients_for
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.permissions import has_perm, rule

from .models import Document

Role = Membership.Role
REVIEW_ROLES = (Role.SECURITY_OFFICER, Role.ORG_ADMIN)


def documents_for(user: User) -> QuerySet[Document]:
    """Documents ``user`` may list: their own, and those of the patients they care for."""
    return (
        Document.objects.filter(Q(patient=user) | Q(patient__in=patients_for(user).values("user")))
        .exclude(status=Document.Status.DELETED)
        .select_related("patient", "uploaded_by", "organisation")
        .order_by("-created")
    )


def access_document(user: User, external_id: uuid.UUID) -> Document:
    """The document, or the same 404 whether it is missing or forbidden."""
    document = documents_for(user).filter(external_id=external_id).first()
    if document is None or not has_perm(user, "document.view", document):
        raise Http404("document")
    return document


def quarantine_for(user: User) -> QuerySet[Document]:
    """Refused and quarantined documents of the organisations ``user`` reviews."""
    return (
        Document.objects.filter(organisation__in=organisations_for(user, *REVIEW_ROLES))
        .exclude(status__in=(Document.Status.CLEAN, Document.Status.PENDING))
        .select_related("uploaded_by", "organisation", "released_by", "deleted_by")
        .order_by("-created")
    )


def access_quarantined(user: User, external_id: uuid.UUID) -> Document:
    """A document under review (any status), for the reviewers of its organisation."""
    document = (
        Document.objects.select_related("uploaded_by", "organisation", "released_by")
        .filter(external_id=external_id)
        .first()
    )
    if document is None or not has_perm(user, "document.review", document):
        raise Http404("document")
    return document


def upload_organisation(user: User, patient: User) -> Organisation | None:
    """The organisation an upload by ``user`` into ``patient``'s record is filed under:
    one where ``patient`` is a patient and ``user`` is that patient or cares for them."""
    patient_orgs = organisations_for(patient, Role.PATIENT)
    if user.pk != patient.pk:
        patient_orgs = patient_orgs.filter(
            pk__in=organisations_for(user, Role.PRACTITIONER, Role.STAFF).values("pk")
        )
    return patient_orgs.first()


@rule("document.view")
def _view(user: User, document: Any) -> bool:
    if not isinstance(document, Document):
        return False
    if document.patient_id == user.pk:
        return True
    return patients_for(user).filter(user_id=document.patient_id).exists()


@rule("document.review")
def _review(user: User, document: Any) -> bool:
    return isinstance(document, Document) and (
        organisations_for(user, *REVIEW_ROLES).filter(pk=document.organisation_id).exists()
    )


def may_upload(user: User, patient: User, organisation: Organisation) -> bool:
    """``user`` may file a document into ``patient``'s record at ``organisation``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not organisations_for(patient, Role.PATIENT).filter(pk=organisation.pk).exists():
        return False
    if user.pk == patient.pk:
        return True
    return (
        organisations_for(user, Role.PRACTITIONER, Role.STAFF).filter(pk=organisation.pk).exists()
    )
