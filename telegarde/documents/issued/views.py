"""Issuing a document (from a consultation or a patient's documents), its page and
revocation, and the public /verify pages. Thin: access, validate, call the action,
respond."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.access import access_patient
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.models import Organisation, User
from telegarde.consultation.access import access_record
from telegarde.consultation.models import Room
from telegarde.core.permissions import has_perm
from telegarde.core.vault import open_text
from telegarde.documents.actions import do_record_documents_read
from telegarde.scheduling.forms import apply_errors

from . import actions, codes
from .access import access_issued, issuing_organisation, may_issue
from .forms import CodeForm, CopyForm, PrescriptionForm, ReportForm, RevokeForm
from .models import IssuedDocument

Kind = IssuedDocument.Kind
KINDS = {"ordonnance": Kind.PRESCRIPTION, "compte-rendu": Kind.REPORT}
# The verify pages are public and about one document: never cached, never indexed.
PUBLIC_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _kind(slug: str) -> Kind:
    if slug not in KINDS:
        raise Http404("kind")
    return KINDS[slug]


@login_required
@require_http_methods(["GET", "POST"])
def issue_from_consultation(
    request: AuthenticatedRequest, room_id: uuid.UUID, kind: str
) -> HttpResponse:
    room = access_record(request.user, room_id)
    appointment = room.appointment
    if not has_perm(request.user, "consultation.lead", room) or not may_issue(
        request.user, appointment.patient, appointment.organisation
    ):
        raise Http404("consultation")
    note = getattr(room, "note", None)
    initial = (
        open_text(f"note:{note.external_id}", note.sealed_body)
        if note is not None and _kind(kind) == Kind.REPORT
        else ""
    )
    return _issue(
        request, _kind(kind), appointment.patient, appointment.organisation, room, initial
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_for_patient(
    request: AuthenticatedRequest, patient_id: uuid.UUID, kind: str
) -> HttpResponse:
    patient = access_patient(request.user, patient_id).user
    organisation = issuing_organisation(request.user, patient)
    if organisation is None:
        raise Http404("patient")
    return _issue(request, _kind(kind), patient, organisation, None, "")


def _issue(
    request: AuthenticatedRequest,
    kind: Kind,
    patient: User,
    organisation: Organisation,
    room: Room | None,
    initial: str,
) -> HttpResponse:
    field = actions.FIELD[kind]
    form_class: type[forms.Form] = ReportForm if kind == Kind.REPORT else PrescriptionForm
    form = form_class(request.POST or None, initial={field: initial})
    if request.method == "POST" and form.is_valid():
        try:
            issued = actions.do_issue_document(
                kind, form.cleaned_data[field], patient=patient, organisation=organisation,
                room=room, acting_user=request.user, request=request,
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le document est délivré et ajouté au dossier du patient."))
            return redirect("issued:detail", issued.external_id)
    do_record_documents_read(patient, organisation, record="identity", request=request)
    context = {"form": form, "kind": kind, "patient": patient, "room": room}
    return render(request, "issued/issue.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def detail(request: AuthenticatedRequest, issued_id: uuid.UUID) -> HttpResponse:
    issued = access_issued(request.user, issued_id)
    do_record_documents_read(
        issued.patient, issued.organisation, record="issued_document", request=request
    )
    return _detail_page(request, issued, RevokeForm())


def _detail_page(
    request: AuthenticatedRequest, issued: IssuedDocument, form: RevokeForm, status: int = 200
) -> HttpResponse:
    context = {
        "issued": issued,
        "code": codes.shown(issued.code),
        "verify_url": actions.verify_url(issued.code),
        "can_revoke": has_perm(request.user, "issued.revoke", issued) and not issued.revoked,
        "form": form,
    }
    return render(request, "issued/detail.html", context, status=status)


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, issued_id: uuid.UUID) -> HttpResponse:
    issued = access_issued(request.user, issued_id)
    if not has_perm(request.user, "issued.revoke", issued):
        raise Http404("issued document")
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            actions.do_revoke_issued_document(
                issued, reason=form.cleaned_data["reason"], acting_user=request.user,
                request=request,
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le document est révoqué : sa vérification le dira."))
            return redirect("issued:detail", issued.external_id)
    return _detail_page(request, issued, form, status=400)


@never_cache
@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Public: type the code printed under the QR code."""
    form = CodeForm(request.GET or None)
    if form.is_valid():
        return redirect("issued:verify", codes.shown(form.cleaned_data["code"]))
    response = render(request, "issued/verify_form.html", {"form": form})
    for name, value in PUBLIC_HEADERS.items():
        response[name] = value
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the four facts of a genuine document, and whether the visitor's copy is
    the issued PDF byte for byte (the copy is hashed in memory and never stored)."""
    form = CopyForm(request.POST, request.FILES) if request.method == "POST" else CopyForm()
    copy = form.cleaned_data["file"] if request.method == "POST" and form.is_valid() else None
    result = actions.do_verify_issued_document(code, copy=copy, request=request)
    if result.issued is None:
        response = render(request, "issued/not_found.html", {"form": CodeForm()}, status=404)
    else:
        context = {
            "issued": result.issued,
            "matches": result.copy_matches,
            "code": codes.shown(result.issued.code),
            "form": form,
        }
        response = render(
            request, "issued/verify.html", context, status=400 if form.errors else 200
        )
    for name, value in PUBLIC_HEADERS.items():
        response[name] = value
    return response
