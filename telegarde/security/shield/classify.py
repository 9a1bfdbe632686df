"""Which route class a request belongs to: it selects the budgets and concurrency limits."""

from __future__ import annotations

from functools import lru_cache

STATIC_PREFIXES = ("/static/", "/favicon.ico", "/robots.txt")
HEALTH_PATHS = ("/healthz",)
# The public verification of issued documents (telegarde/documents/issued) is here too:
# each request tries a code, so guessers get the sign-in budget.
LOGIN_PREFIXES = ("/comptes/connexion/", "/gestion/login/", "/comptes/mot-de-passe", "/verify/")
# Booking proper: what a rush of people looking for a slot loads (search, a practitioner's
# free slots, the booking form). The rest of /rendez-vous/ is people's own appointments, a
# practitioner's agenda and availability: pages, never behind the booking queue.
BOOKING_PREFIXES = ("/prendre-rendez-vous/", "/api/rendez-vous/")
SCHEDULING = "/rendez-vous/"
PRACTITIONER_PAGES = ("", "reserver/")
# Document uploads (telegarde/documents) and messages that may carry attachments
# (telegarde/messaging): a larger body cap and a longer body deadline.
UPLOAD_PREFIXES = ("/documents/depot/", "/messages/envoi/")
API_PREFIXES = ("/api/",)
METRICS_PATH = "/bouclier/metriques"


@lru_cache(maxsize=4096)
def classify_path(path: str) -> str:
    """The route class of an HTTP request path."""
    if path.startswith(STATIC_PREFIXES):
        return "static"
    if path in HEALTH_PATHS:
        return "health"
    if path.startswith(LOGIN_PREFIXES):
        return "login"
    if path.startswith(BOOKING_PREFIXES) or _books(path):
        return "booking"
    if path.startswith(UPLOAD_PREFIXES):
        return "upload"
    if path.startswith(API_PREFIXES):
        return "api"
    return "page"


def _books(path: str) -> bool:
    """The scheduling search, ``praticiens/<id>/`` (free slots) and its ``reserver/``."""
    if not path.startswith(SCHEDULING):
        return False
    rest = path[len(SCHEDULING) :]
    if rest == "":
        return True
    section, _, after = rest.partition("/")
    _practitioner, slash, page = after.partition("/")
    return section == "praticiens" and bool(slash) and page in PRACTITIONER_PAGES


def classify(scope_type: str, path: str) -> str:
    if scope_type == "websocket":
        return "signalling"
    # Unbounded distinct paths must not grow the cache: only short ones are cached.
    return classify_path(path) if len(path) <= 256 else classify_path(path[:256])
