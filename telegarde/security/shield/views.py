"""The security centre's page for bans: list, add, lift."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.core.permissions import has_perm

from .actions import do_add_ban, do_lift_ban
from .forms import BanForm
from .models import Ban

RECENT = 50


def _require_manager(request: AuthenticatedRequest) -> None:
    # The same 404 as a missing page: the page's existence is not advertised.
    if not has_perm(request.user, "shield.manage_bans"):
        raise Http404("bans")


@login_required
@require_http_methods(["GET", "POST"])
def bans(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = BanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_add_ban(
            form.cleaned_data["target"],
            seconds=form.cleaned_data["seconds"],
            reason=form.cleaned_data["reason"],
            source=Ban.Source.OPERATOR,
            acting_user=request.user,
        )
        messages.success(request, _("Le blocage est en place."))
        return redirect("shield:bans")
    now = timezone.now()
    context = {
        "form": form,
        "active": Ban.objects.filter(lifted__isnull=True, expires__gt=now).order_by("expires"),
        "past": Ban.objects.exclude(lifted__isnull=True, expires__gt=now).order_by("-created")[
            :RECENT
        ],
    }
    return render(request, "shield/bans.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def lift_ban(request: AuthenticatedRequest, ban_id: uuid.UUID) -> HttpResponse:
    _require_manager(request)
    ban = Ban.objects.filter(external_id=ban_id).first()
    if ban is None:
        raise Http404("ban")
    do_lift_ban(ban, acting_user=request.user)
    messages.success(request, _("Le blocage est levé."))
    return redirect("shield:bans")
