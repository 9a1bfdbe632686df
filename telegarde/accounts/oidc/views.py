"""Start a sign-in at the provider, and receive its answer."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from telegarde.accounts import login_flow

from . import flow
from .actions import do_record_oidc_failure, do_sign_in_with_oidc
from .config import OidcSettings, oidc_settings
from .provider import OidcFailure

UNAVAILABLE = {"provider_unreachable", "provider_error"}


def _configured() -> OidcSettings:
    config = oidc_settings()
    if config is None:
        raise Http404("OpenID Connect sign-in is not configured")
    return config


def _message(reason: str, provider: str) -> str:
    if reason in UNAVAILABLE:
        text = _(
            "%(provider)s ne répond pas correctement pour le moment. Réessayez dans quelques "
            "minutes, ou connectez-vous avec votre mot de passe."
        )
    elif reason == "provider_denied":
        text = _("La connexion avec %(provider)s a été annulée.")
    elif reason in {"state_mismatch", "state_expired"}:
        text = _(
            "Cette demande de connexion a expiré ou a été ouverte dans un autre navigateur. "
            "Recommencez la connexion."
        )
    elif reason == "missing_rpps":
        text = _(
            "%(provider)s n'a pas transmis de numéro RPPS : cette connexion est réservée aux "
            "professionnels de santé inscrits au RPPS."
        )
    elif reason == "unknown_rpps":
        text = _(
            "Aucun compte Telegarde n'est rattaché à votre numéro RPPS. Demandez à "
            "l'administrateur de votre établissement de l'inscrire dans votre profil "
            "professionnel, puis recommencez."
        )
    elif reason == "inactive_user":
        text = _("Ce compte est désactivé. Contactez l'administrateur de votre établissement.")
    else:
        text = _(
            "La réponse de %(provider)s n'a pas pu être vérifiée ; par sécurité, la connexion "
            "est refusée. Recommencez, et prévenez votre établissement si cela se reproduit."
        )
    return text % {"provider": provider}


def _refused(
    request: HttpRequest,
    config: OidcSettings,
    failure: OidcFailure,
    identity: flow.Identity | None = None,
) -> HttpResponse:
    do_record_oidc_failure(failure, issuer=config.issuer, request=request, identity=identity)
    context = {"message": _message(failure.reason, config.display_name), "provider": config}
    status = 502 if failure.reason in UNAVAILABLE else 400
    return render(request, "oidc/refused.html", context, status=status)


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    config = _configured()
    next_url = login_flow.safe_next(request, request.GET.get("next"))
    try:
        return redirect(flow.begin(request, config, next_url=next_url))
    except OidcFailure as failure:
        return _refused(request, config, failure)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    config = _configured()
    try:
        identity = flow.finish(request, config, request.GET)
    except OidcFailure as failure:
        return _refused(request, config, failure)
    try:
        do_sign_in_with_oidc(identity, request=request)
    except OidcFailure as failure:
        return _refused(request, config, failure, identity)
    return login_flow.remember_device_on(redirect(identity.next_url), request)
