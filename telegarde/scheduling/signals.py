"""A patient with an appointment today goes first at the edge from the moment they sign
in (the shield's priority claim), not only once they enter the waiting room."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from telegarde.accounts.models import User
from telegarde.core.claims import HIGH, issue_priority_claim

from .models import Appointment


@receiver(user_logged_in)
def _appointment_today(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    today = timezone.localdate()
    if Appointment.objects.filter(
        patient=user, status=Appointment.Status.BOOKED, starts_at__date=today
    ).exists():
        issue_priority_claim(request, user, HIGH)
