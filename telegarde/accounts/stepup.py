"""Step-up re-authentication for sensitive actions (changing factors, exports, admin)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .login_flow import recently_stepped_up

V = TypeVar("V", bound=Callable[..., HttpResponse])


def require_step_up[V: Callable[..., HttpResponse]](view: V) -> V:
    """The view runs only if the user proved a second factor in the last few minutes."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(
                f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
            )
        if recently_stepped_up(request):
            return view(request, *args, **kwargs)
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:step_up')}?{query}")

    return wrapper  # type: ignore[return-value]
