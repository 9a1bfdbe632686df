"""Request types for views behind ``login_required``, so ``request.user`` is a ``User``."""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User
