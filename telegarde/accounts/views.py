"""Sign-in, sign-out and the patient file as professionals see it."""

from __future__ import annotations

import uuid

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import access_patient
from .actions import do_record_patient_view
from .forms import LoginForm
from .http import AuthenticatedRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_GET
@login_required
def patient_detail(request: AuthenticatedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    do_record_patient_view(patient, reason="organisation_care_team", request=request)
    return render(request, "accounts/patient_detail.html", {"patient": patient})
