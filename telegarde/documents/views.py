"""Pages of a patient's documents (list, upload, download) and of the quarantine.
Thin: access, validate, call the action, respond."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telegarde.accounts.access import access_organisation, access_patient, patients_for
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.models import User
from telegarde.accounts.stepup import require_step_up
from telegarde.scheduling.forms import apply_errors

from . import actions
from .access import access_document, access_quarantined, documents_for, quarantine_for
from .access import upload_organisation as organisation_for_upload
from .forms import ReleaseForm, UploadForm
from .models import Document
from .uploads import uploads_too_large

# Served documents may be anything a browser would render: never inline, never sniffed,
# and sandboxed should a browser still render it.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
}


def _documents_page(
    request: AuthenticatedRequest, template: str, patient: User, **extra: object
) -> HttpResponse:
    """A page with ``patient``'s documents as ``request.user`` may see them, and the
    upload form when they may file one."""
    return render(
        request,
        template,
        {
            "documents": documents_for(request.user).filter(patient=patient),
            "patient": patient,
            "can_upload": organisation_for_upload(request.user, patient) is not None,
            "form": UploadForm(),
            "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
            **extra,
        },
    )


@require_GET
@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in patient's documents, and the patients whose documents they may see."""
    return _documents_page(
        request, "documents/index.html", request.user, patients=patients_for(request.user)
    )


@require_GET
@login_required
def patient_documents(request: AuthenticatedRequest, patient_id: uuid.UUID) -> HttpResponse:
    profile = access_patient(request.user, patient_id)
    if profile.user_id == request.user.pk:
        return redirect("documents:index")
    organisation = organisation_for_upload(request.user, profile.user)
    actions.do_record_documents_read(profile.user, organisation, request=request)
    return _documents_page(request, "documents/patient.html", profile.user, profile=profile)


@require_POST
@login_required
def upload(request: AuthenticatedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(request.user, patient_id).user
    organisation = organisation_for_upload(request.user, patient)
    if organisation is None:
        raise Http404("patient")
    back = (
        redirect("documents:index")
        if patient == request.user
        else redirect("documents:patient", patient_id)
    )
    # Parsing the body first: the upload handler notes the files it cut off.
    form = UploadForm(request.POST, request.FILES)
    for name, size in uploads_too_large(request):
        document = actions.do_reject_upload(
            name, Document.Verdict.TOO_LARGE, f"> {size - 1}", size=size, declared_type="",
            patient=patient, organisation=organisation, acting_user=request.user, request=request,
        )  # fmt: skip
        messages.error(request, _refusal_text(document))
    if form.is_valid():
        document = actions.do_upload_document(
            form.cleaned_data["file"],
            patient=patient,
            organisation=organisation,
            acting_user=request.user,
            request=request,
        )
        if document.status == Document.Status.REJECTED:
            messages.error(request, _refusal_text(document))
        else:
            messages.success(
                request,
                _("« %(name)s » est reçu et en cours de vérification.") % {"name": document.name},
            )
    elif not uploads_too_large(request):
        messages.error(request, _("Choisissez un fichier à déposer."))
    return back


def _refusal_text(document: Document) -> str:
    return _("« %(name)s » est refusé : %(reason)s.") % {
        "name": document.name,
        "reason": document.get_verdict_display().lower(),
    }


@require_GET
@login_required
def download(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = access_document(request.user, document_id)
    try:
        content = actions.open_document(document)
    except actions.DocumentUnavailable:
        raise Http404("document") from None
    actions.do_record_document_download(document, request=request)
    response = HttpResponse(content, content_type=document.content_type, headers=DOWNLOAD_HEADERS)
    ascii_name = document.name.encode("ascii", "replace").decode().replace('"', "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.name)}"
    )
    return response


@require_GET
@login_required
def quarantine(request: AuthenticatedRequest, organisation_id: uuid.UUID) -> HttpResponse:
    organisation = access_organisation(request.user, organisation_id, "security.view_events")
    return render(
        request,
        "documents/quarantine.html",
        {
            "organisation": organisation,
            "documents": quarantine_for(request.user).filter(organisation=organisation)[:200],
        },
    )


@require_GET
@login_required
def quarantine_detail(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = access_quarantined(request.user, document_id)
    return render(
        request,
        "documents/quarantine_detail.html",
        {"document": document, "form": ReleaseForm()},
    )


@require_POST
@login_required
@require_step_up
def release(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = access_quarantined(request.user, document_id)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            actions.do_release_document(
                document,
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le document est libéré et de nouveau disponible."))
            return redirect("documents:quarantine_detail", document.external_id)
    return render(request, "documents/quarantine_detail.html", {"document": document, "form": form})


@require_POST
@login_required
@require_step_up
def delete(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = access_quarantined(request.user, document_id)
    actions.do_delete_document(document, acting_user=request.user, request=request)
    messages.success(request, _("Le document est supprimé définitivement."))
    return redirect("documents:quarantine", document.organisation.external_id)
