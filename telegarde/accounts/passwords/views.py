"""The strength meter's JSON endpoint: the server-side policy, so meter and verdict agree."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from telegarde.accounts.models import User
from telegarde.core.events import client_ip

from .policy import evaluate_password
from .subjects import needs_second_factor, personal_details

# Details the registration page sends, since there is no account yet to read them from.
HINT_FIELDS = ("email", "first_names", "birth_last_name", "used_last_name")
PENDING_USER_SESSION_KEY = "telegarde_password_subject"


def _subject(request: HttpRequest) -> User | None:
    if request.user.is_authenticated:
        return request.user
    pending = request.session.get(PENDING_USER_SESSION_KEY)
    return User.objects.filter(external_id=pending).first() if pending else None


def _over_budget(request: HttpRequest) -> bool:
    """A fixed window per client address: the meter debounces, people type slowly."""
    key = f"pw-meter:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=60)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        used = 1
    return used > int(settings.PASSWORD_METER_PER_MINUTE)


@never_cache
@require_POST
@sensitive_post_parameters("password")
def estimate(request: HttpRequest) -> JsonResponse:
    """POST ``password`` (and, before an account exists, its details) → the verdict."""
    if _over_budget(request):
        return JsonResponse(
            {"error": _("Trop de demandes : réessayez dans une minute.")}, status=429
        )
    password = request.POST.get("password", "")
    user = _subject(request)
    hints = [request.POST.get(name, "") for name in HINT_FIELDS] if user is None else []
    verdict = evaluate_password(
        password,
        personal=personal_details(user) + [h for h in hints if h],
        second_factor=needs_second_factor(user),
    )
    return JsonResponse(
        {
            "bits": verdict.bits,
            "required": verdict.required_bits,
            "acceptable": verdict.acceptable,
            "problems": [{"code": p.code, "message": p.message} for p in verdict.problems],
        }
    )
