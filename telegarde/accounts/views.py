"""Sign-in, sign-out and the patient file as professionals see it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .access import access_patient
from .actions import do_record_password_change, do_record_patient_view
from .forms import LoginForm
from .http import AuthenticatedRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password (the current one is asked); other sessions are signed out."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        do_record_password_change(self.request)
        messages.success(self.request, _("Votre mot de passe a été changé."))
        return response


@require_GET
@login_required
def patient_detail(request: AuthenticatedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    do_record_patient_view(patient, reason="organisation_care_team", request=request)
    return render(request, "accounts/patient_detail.html", {"patient": patient})
