"""Telegarde settings: every value comes from the environment (see docs/configuration.md).

Two profiles: ``embedded`` (default: SQLite under var/, in-process memory for cache and
channels) and ``production`` (refuses to start with an insecure value).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.utils.csp import CSP

from telegarde.lib.env import (
    ConfigError,
    ConfigErrors,
    check_redis_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_str,
    parse_database_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("TELEGARDE_VAR_DIR", str(Path.cwd() / "var"))).resolve()

MODE = env_choice("TELEGARDE_MODE", "embedded", ("embedded", "production"))
PRODUCTION = MODE == "production"
DEBUG = env_bool("TELEGARDE_DEBUG", False)

MIN_SECRET_KEY_LENGTH = 50


def _embedded_key(file_name: str) -> str:
    """A per-installation key kept under var/, so it survives restarts."""
    key_file = VAR_DIR / file_name
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


_secret = env_optional("TELEGARDE_SECRET_KEY")
if _secret is None and PRODUCTION:
    raise ConfigError(
        "TELEGARDE_SECRET_KEY",
        "is not set in production mode",
        "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(64))'",
    )
SECRET_KEY = _secret if _secret is not None else _embedded_key("secret_key")

# The event chain has its own key: rotating the secret key must not break verification.
_event_key = env_optional("TELEGARDE_EVENT_LOG_KEY")
if _event_key is None and PRODUCTION:
    raise ConfigError(
        "TELEGARDE_EVENT_LOG_KEY",
        "is not set in production mode (it keys the tamper-evident event chain)",
        "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' "
        "and keep it as long as the event log",
    )
EVENT_LOG_KEY = _event_key if _event_key is not None else _embedded_key("event_log_key")

# Key-encryption key for secrets at rest (TOTP seeds, and later messages and documents).
_data_key = env_optional("TELEGARDE_DATA_KEY")
if _data_key is None and PRODUCTION:
    raise ConfigError(
        "TELEGARDE_DATA_KEY",
        "is not set in production mode (it encrypts secrets and health data at rest)",
        "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' "
        "and keep it with your backups: without it the data cannot be read",
    )
DATA_KEY = _data_key if _data_key is not None else _embedded_key("data_key")

PUBLIC_URL = env_str("TELEGARDE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
if not PUBLIC_URL.startswith(("http://", "https://")):
    raise ConfigError("TELEGARDE_PUBLIC_URL", f"{PUBLIC_URL!r} is not an http(s) URL")
HTTPS = PUBLIC_URL.startswith("https://")

ALLOWED_HOSTS = env_list("TELEGARDE_ALLOWED_HOSTS", ("127.0.0.1", "localhost", "[::1]"))
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL]

if PRODUCTION:
    _problems: list[ConfigError] = []
    if not env_bool("TELEGARDE_LOGIN_THROTTLE", True):
        _problems.append(
            ConfigError(
                "TELEGARDE_LOGIN_THROTTLE",
                "is off in production (sign-in attempts would be unlimited)",
                "unset it",
            )
        )
    if DEBUG:
        _problems.append(ConfigError("TELEGARDE_DEBUG", "is on in production", "unset it or set 0"))
    if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 10:
        _problems.append(
            ConfigError(
                "TELEGARDE_SECRET_KEY",
                f"is too short or too repetitive "
                f"(needs {MIN_SECRET_KEY_LENGTH}+ varied characters)",
                "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(64))'",
            )
        )
    if not HTTPS:
        _problems.append(
            ConfigError(
                "TELEGARDE_PUBLIC_URL",
                f"{PUBLIC_URL!r} is not HTTPS",
                "serve behind TLS and set https://your.domain",
            )
        )
    if env_optional("TELEGARDE_ALLOWED_HOSTS") is None or "*" in ALLOWED_HOSTS:
        _problems.append(
            ConfigError(
                "TELEGARDE_ALLOWED_HOSTS",
                "must list the host names explicitly in production",
                "example: TELEGARDE_ALLOWED_HOSTS=telegarde.example.fr",
            )
        )
    if len(DATA_KEY) < 32 or len(set(DATA_KEY)) < 10:
        _problems.append(
            ConfigError(
                "TELEGARDE_DATA_KEY",
                "is too short or too repetitive (needs 32+ varied characters)",
                "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
            )
        )
    if len(EVENT_LOG_KEY) < 32 or len(set(EVENT_LOG_KEY)) < 10:
        _problems.append(
            ConfigError(
                "TELEGARDE_EVENT_LOG_KEY",
                "is too short or too repetitive (needs 32+ varied characters)",
                "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
            )
        )
    if _problems:
        raise ConfigErrors(_problems)

# --- Applications -------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "telegarde.core",
    "telegarde.accounts",
    "telegarde.accounts.mfa",
    "telegarde.accounts.throttle",
    "telegarde.accounts.passkeys",
    "telegarde.scheduling",
    "telegarde.consultation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "telegarde.accounts.middleware.SessionHygieneMiddleware",
    "telegarde.accounts.middleware.RequireSecondFactorMiddleware",
    "telegarde.accounts.middleware.BackOfficeGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "telegarde.urls"
WSGI_APPLICATION = "telegarde.wsgi.application"
ASGI_APPLICATION = "telegarde.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "telegarde.core.context_processors.platform",
            ],
        },
    },
]

# --- Data stores ----------------------------------------------------------------------

_db = parse_database_url(
    "TELEGARDE_DATABASE_URL",
    env_str("TELEGARDE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'telegarde.sqlite3'}"),
)
_database: dict[str, Any] = {"ENGINE": _db.engine, "NAME": _db.name}
if _db.engine.endswith("sqlite3"):
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
    # failing with "database is locked" when a read transaction upgrades.
    # Connections are kept, as for PostgreSQL: opening one (and its pragmas) per request
    # cost a quarter of a page's CPU time (bench/http.py).
    _database["CONN_MAX_AGE"] = env_int("TELEGARDE_DB_CONN_MAX_AGE", 60, minimum=0)
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    _database.update(
        HOST=_db.host,
        PORT=_db.port or "",
        USER=_db.user,
        PASSWORD=_db.password,
        CONN_MAX_AGE=env_int("TELEGARDE_DB_CONN_MAX_AGE", 60, minimum=0),
        CONN_HEALTH_CHECKS=True,
        OPTIONS={"connect_timeout": 5, **(_db.options or {})},
    )
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_optional("TELEGARDE_REDIS_URL")
REDIS_PREFIX = env_str("TELEGARDE_REDIS_PREFIX", "telegarde")
if REDIS_URL is not None:
    check_redis_url("TELEGARDE_REDIS_URL", REDIS_URL)
    _prefix = REDIS_PREFIX
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _prefix,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{_prefix}:asgi"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts and sessions -------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "telegarde.core.permissions.RuleBackend",
]
# New hashes: Argon2id only (docs/passwords.md); PBKDF2 verifies legacy hashes, which
# are rewritten with Argon2id at the next sign-in.
PASSWORD_HASHERS = [
    "telegarde.accounts.passwords.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "telegarde.accounts.passwords.validators.PolicyValidator"}]

# Sign-in budgets (see telegarde/accounts/throttle/budgets.py and docs/authentication.md).
LOGIN_THROTTLE = {
    # Off only to measure what throttling prevents (bench/credential_stuffing.py);
    # production mode refuses it.
    "enabled": env_bool("TELEGARDE_LOGIN_THROTTLE", True),
    "per_ip": env_int("TELEGARDE_LOGIN_PER_IP", 30, minimum=1),
    "per_network": env_int("TELEGARDE_LOGIN_PER_NETWORK", 100, minimum=1),
    "ip_window": env_int("TELEGARDE_LOGIN_IP_WINDOW", 600, minimum=1),
    "per_account_day": env_int("TELEGARDE_LOGIN_PER_ACCOUNT_DAY", 25, minimum=1),
    "free_failures": env_int("TELEGARDE_LOGIN_FREE_FAILURES", 5, minimum=1),
    "backoff_base": env_int("TELEGARDE_LOGIN_BACKOFF_SECONDS", 90, minimum=61),
}
# Password hashes computed at once per process; Argon2 is the costliest thing we do.
MAX_CONCURRENT_HASHES = env_int("TELEGARDE_MAX_CONCURRENT_HASHES", os.cpu_count() or 2, minimum=1)
DEVICE_COOKIE_NAME = "telegarde_device"
DEVICE_COOKIE_DAYS = env_int("TELEGARDE_DEVICE_COOKIE_DAYS", 180, minimum=1)

# Sessions of professionals end after 30 minutes idle and 4 hours in all (patients:
# 2 hours idle, 12 hours in all); every value can be changed.
SESSION_TIMEOUTS = {
    "professional_idle": env_int("TELEGARDE_SESSION_IDLE_PRO", 30 * 60, minimum=60),
    "professional_absolute": env_int("TELEGARDE_SESSION_ABSOLUTE_PRO", 4 * 3600, minimum=300),
    "patient_idle": env_int("TELEGARDE_SESSION_IDLE_PATIENT", 2 * 3600, minimum=60),
    "patient_absolute": env_int("TELEGARDE_SESSION_ABSOLUTE_PATIENT", 12 * 3600, minimum=300),
}

SESSION_COOKIE_NAME = "telegarde_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_AGE = 12 * 3600  # the longest absolute timeout; the middleware enforces each
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Web hygiene ------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = env_int("TELEGARDE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https")
        if env_bool("TELEGARDE_BEHIND_TLS_PROXY", True)
        else None
    )
    SECURE_SSL_REDIRECT = env_bool("TELEGARDE_SSL_REDIRECT", False)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Serving ----------------------------------------------------------------------------

# Worker threads per process that run Django's (synchronous) request handling.
SERVE_THREADS = env_int("TELEGARDE_THREADS", 16, minimum=1)
# Request bodies above this are refused with 413 before they reach Django (every route
# but document uploads, whose cap is TELEGARDE_UPLOAD_MAX_BYTES: see Documents below).
MAX_BODY_BYTES = env_int("TELEGARDE_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)

# --- Language and time ------------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("TELEGARDE_STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Mail -------------------------------------------------------------------------------

_mail_backend = env_str(
    "TELEGARDE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": _mail_backend}}
if _mail_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("TELEGARDE_EMAIL_HOST", "localhost"),
        "port": env_int("TELEGARDE_EMAIL_PORT", 25, minimum=1),
        "username": env_str("TELEGARDE_EMAIL_USER", ""),
        "password": env_str("TELEGARDE_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("TELEGARDE_EMAIL_STARTTLS", False),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env_str(
    "TELEGARDE_EMAIL_FROM", "Telegarde <ne-pas-repondre@telegarde.invalid>"
)

# --- Security event log -----------------------------------------------------------------

# Optional live sink: "file:/path/events.jsonl" or "syslog://host:514" (UDP) / "syslog+tcp://…".
EVENT_SINK = env_optional("TELEGARDE_EVENT_SINK")
if EVENT_SINK is not None:
    from telegarde.core.sinks import sink_from_url

    sink_from_url(EVENT_SINK)  # fails at start-up, naming the variable, when malformed

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "TELEGARDE_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
        ).upper(),
    },
    "loggers": {"django.request": {"level": "ERROR"}, "django.security": {"level": "WARNING"}},
}

# --- Passkeys (telegarde/accounts/passkeys) ---------------------------------------------
# The relying party is PUBLIC_URL: its host is the RP ID, its scheme+host+port the origin.
PASSKEY_CHALLENGE_SECONDS = env_int("TELEGARDE_PASSKEY_CHALLENGE_SECONDS", 300, minimum=30)
# --- End of passkeys ----------------------------------------------------------------------

# --- Detection (telegarde/security/detection) ---------------------------------------------

INSTALLED_APPS.append("telegarde.security.detection")

_severities = ("low", "medium", "high", "critical")
# inline: a background thread of each process evaluates its own events (one process);
# stream: events go to a Redis Stream read by `telegarde detect run` workers.
DETECTION_MODE = env_choice(
    "TELEGARDE_DETECTION_MODE", "stream" if REDIS_URL else "inline", ("inline", "stream", "off")
)
if DETECTION_MODE == "stream" and REDIS_URL is None:
    raise ConfigError(
        "TELEGARDE_DETECTION_MODE",
        "is 'stream' but TELEGARDE_REDIS_URL is not set",
        "set TELEGARDE_REDIS_URL, or use inline",
    )
DETECTION_STREAM = f"{env_str('TELEGARDE_REDIS_PREFIX', 'telegarde')}:detection"
DETECTION_STREAM_MAXLEN = env_int("TELEGARDE_DETECTION_STREAM_MAXLEN", 1_000_000, minimum=1000)
DETECTION_RULES_DIR = env_optional("TELEGARDE_DETECTION_RULES_DIR")
if DETECTION_RULES_DIR is not None and not Path(DETECTION_RULES_DIR).is_dir():
    raise ConfigError("TELEGARDE_DETECTION_RULES_DIR", f"{DETECTION_RULES_DIR!r} is not a folder")
DETECTION_AUTO_RESPONSES = env_list("TELEGARDE_DETECTION_AUTO_RESPONSES")
DETECTION_BAN_FUNCTION = env_str(
    "TELEGARDE_DETECTION_BAN_FUNCTION", "telegarde.security.shield.api.ban_for_detection"
)
DETECTION_UNBAN_FUNCTION = env_str(
    "TELEGARDE_DETECTION_UNBAN_FUNCTION", "telegarde.security.shield.api.unban_for_detection"
)
DETECTION_EMAIL_MIN_SEVERITY = env_choice(
    "TELEGARDE_DETECTION_EMAIL_MIN_SEVERITY", "high", _severities
)
DETECTION_WEBHOOK_URL = env_optional("TELEGARDE_DETECTION_WEBHOOK_URL")
DETECTION_WEBHOOK_SECRET = env_optional("TELEGARDE_DETECTION_WEBHOOK_SECRET")
if DETECTION_WEBHOOK_URL is not None:
    if not DETECTION_WEBHOOK_URL.startswith(("http://", "https://")):
        raise ConfigError("TELEGARDE_DETECTION_WEBHOOK_URL", "is not an http(s) URL")
    if DETECTION_WEBHOOK_SECRET is None or len(DETECTION_WEBHOOK_SECRET) < 16:
        raise ConfigError(
            "TELEGARDE_DETECTION_WEBHOOK_SECRET",
            "must be set (16+ characters) when TELEGARDE_DETECTION_WEBHOOK_URL is",
            "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
DETECTION_WEBHOOK_MIN_SEVERITY = env_choice(
    "TELEGARDE_DETECTION_WEBHOOK_MIN_SEVERITY", "low", _severities
)
DETECTION_WEBHOOK_ATTEMPTS = env_int("TELEGARDE_DETECTION_WEBHOOK_ATTEMPTS", 5, minimum=1)
DETECTION_WEBHOOK_BACKOFF_MS = env_int("TELEGARDE_DETECTION_WEBHOOK_BACKOFF_MS", 2000, minimum=0)
DETECTION_SYSLOG = env_optional("TELEGARDE_DETECTION_SYSLOG")
if DETECTION_SYSLOG is not None:
    from telegarde.security.detection.notify import syslog_target

    syslog_target(DETECTION_SYSLOG)  # fails at start-up, naming the variable, when malformed
DETECTION_SYSLOG_FORMAT = env_choice("TELEGARDE_DETECTION_SYSLOG_FORMAT", "cef", ("cef", "ecs"))
DETECTION_SYSLOG_MIN_SEVERITY = env_choice(
    "TELEGARDE_DETECTION_SYSLOG_MIN_SEVERITY", "low", _severities
)

# --- Passwords and recovery (telegarde/accounts) -------------------------------------

# Reset links: single use, and invalid after this many seconds (15 minutes by default).
PASSWORD_RESET_TIMEOUT = env_int("TELEGARDE_PASSWORD_RESET_TIMEOUT", 15 * 60, minimum=60)
# Registration links ("finish creating your account"): signed, single use, expiring.
REGISTRATION_LINK_MAX_AGE = env_int("TELEGARDE_REGISTRATION_LINK_MAX_AGE", 3600, minimum=300)
# Reset and registration mails per address and per hour; more requests get the same
# answer but no mail, so the forms cannot be used to flood someone's mailbox.
RECOVERY_MAILS_PER_HOUR = env_int("TELEGARDE_RECOVERY_MAILS_PER_HOUR", 5, minimum=1)
# Strength meter estimates per client address and per minute.
PASSWORD_METER_PER_MINUTE = env_int("TELEGARDE_PASSWORD_METER_PER_MINUTE", 60, minimum=1)
INSTALLED_APPS.append("telegarde.accounts.recovery")

# --- Shield (telegarde/security/shield) ---
# Denial-of-service defence in front of Django (docs/shield.md). Read once here so that
# a malformed budget or an over-wide trusted-proxy list stops the process at start.
from telegarde.security.shield import config as _shield_config  # noqa: E402

INSTALLED_APPS.append("telegarde.security.shield")
# Writes the signed priority claim that the shield reads without a database hit.
MIDDLEWARE.append("telegarde.core.claims.PriorityClaimMiddleware")
SHIELD = _shield_config.load(
    max_body_bytes=MAX_BODY_BYTES,
    threads=SERVE_THREADS,
    redis_url=REDIS_URL,
    redis_prefix=REDIS_PREFIX,
    board_path=str(VAR_DIR / "shield-board"),
)
# Headers that trickle in (slowloris) are cut by the server before the shield runs:
# `telegarde serve` hands this environment to granian.
os.environ.setdefault("GRANIAN_HTTP1_HEADER_READ_TIMEOUT", str(1000 * SHIELD.header_timeout))
# --- end of Shield ---

# --- OpenID Connect (telegarde/accounts/oidc) ---
# Practitioner sign-in through an OpenID Connect provider such as Pro Santé Connect
# (docs/oidc.md). Off while TELEGARDE_OIDC_ISSUER is unset.
INSTALLED_APPS.append("telegarde.accounts.oidc")
OIDC_ISSUER = env_optional("TELEGARDE_OIDC_ISSUER")
OIDC_CLIENT_ID = env_optional("TELEGARDE_OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_optional("TELEGARDE_OIDC_CLIENT_SECRET")
# Where the RPPS number is in the user info: a claim name, or a dotted path into nested
# claims. Pro Santé Connect's SubjectNameID is the national identifier, "8" + RPPS.
OIDC_RPPS_CLAIM = env_str("TELEGARDE_OIDC_RPPS_CLAIM", "SubjectNameID")
OIDC_SCOPES = env_str("TELEGARDE_OIDC_SCOPES", "openid scope_all").replace(",", " ").split()
OIDC_DISPLAY_NAME = env_str("TELEGARDE_OIDC_DISPLAY_NAME", "Pro Santé Connect")
OIDC_TIMEOUT = env_int("TELEGARDE_OIDC_TIMEOUT", 10, minimum=1)
if OIDC_ISSUER is not None:
    if not OIDC_ISSUER.startswith(("https://", "http://")):
        raise ConfigError("TELEGARDE_OIDC_ISSUER", f"{OIDC_ISSUER!r} is not an http(s) URL")
    if PRODUCTION and not OIDC_ISSUER.startswith("https://"):
        raise ConfigError(
            "TELEGARDE_OIDC_ISSUER",
            f"{OIDC_ISSUER!r} is not HTTPS in production",
            "use the provider's https:// issuer (see docs/oidc.md)",
        )
    for _name, _value in (
        ("TELEGARDE_OIDC_CLIENT_ID", OIDC_CLIENT_ID),
        ("TELEGARDE_OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET),
    ):
        if _value is None:
            raise ConfigError(
                _name,
                "must be set when TELEGARDE_OIDC_ISSUER is",
                "copy it from the provider's client registration (or give it as <NAME>_FILE)",
            )
    if "openid" not in OIDC_SCOPES:
        OIDC_SCOPES.insert(0, "openid")
# --- End of OpenID Connect ---

# --- Scheduling (telegarde/scheduling) ---
# Booking rules (docs/scheduling.md). Slots closer than the notice or beyond the horizon
# are not offered; patients may cancel or move a booking only until the deadline.
BOOKING_MIN_NOTICE_MINUTES = env_int("TELEGARDE_BOOKING_MIN_NOTICE_MINUTES", 60, minimum=0)
BOOKING_HORIZON_DAYS = env_int("TELEGARDE_BOOKING_HORIZON_DAYS", 60, minimum=1)
CANCEL_DEADLINE_HOURS = env_int("TELEGARDE_CANCEL_DEADLINE_HOURS", 24, minimum=0)
# `telegarde send_reminders` mails patients whose appointment starts within this delay.
REMINDER_HOURS = env_int("TELEGARDE_REMINDER_HOURS", 24, minimum=1)
# --- end of Scheduling ---

# --- Consultation: ICE/TURN (telegarde/consultation/turn.py) ---
# The RTCPeerConnection configuration browsers get (docs/turn.md): STUN servers, coturn
# with ephemeral credentials (TURN REST secret, optionally from TELEGARDE_TURN_SECRET_FILE)
# and whether calls may only go through the relay. Read once here, so that a malformed URL
# or a TURN server without its secret stops the process at start. The secret is never
# logged (left out of the settings' repr).
from telegarde.consultation.turn import load_ice_settings  # noqa: E402

ICE = load_ice_settings(production=PRODUCTION)
# Seconds a call may take to connect before the page proposes audio only, then the phone
# (docs/consultation.md, degraded modes).
CALL_CONNECT_TIMEOUT = env_int("TELEGARDE_CALL_CONNECT_TIMEOUT", 20, minimum=3)
# Patients and guests may enter the waiting room from this many minutes before the
# appointment (the practitioner at any time).
ROOM_OPENS_MINUTES_BEFORE = env_int("TELEGARDE_ROOM_OPENS_MINUTES_BEFORE", 30, minimum=0)
# --- end of ICE/TURN ---

# --- Documents (telegarde/documents) ---
# Upload pipeline, scanners and encrypted storage (docs/documents.md).
INSTALLED_APPS.append("telegarde.documents")
from dataclasses import replace as _replace  # noqa: E402

from telegarde.documents.clamd import parse_address as _clamd_address  # noqa: E402

DOCUMENTS_DIR = Path(env_str("TELEGARDE_DOCUMENTS_DIR", str(VAR_DIR / "documents"))).resolve()
# Largest file accepted, counted while it streams in (the upload handler stops it there).
UPLOAD_MAX_BYTES = env_int("TELEGARDE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# The upload route's body cap at the shield: the file plus the form's multipart framing.
SHIELD = _replace(SHIELD, body_caps={**SHIELD.body_caps, "upload": UPLOAD_MAX_BYTES + 256 * 1024})
FILE_UPLOAD_HANDLERS = ["telegarde.documents.uploads.CappedMemoryUploadHandler"]
# ClamAV daemon: "unix:/run/clamav/clamd.ctl" or "tcp:host:3310"; unset = YARA and the
# built-in checks only.
_clamd = env_optional("TELEGARDE_CLAMD")
CLAMD_ADDRESS = _clamd_address("TELEGARDE_CLAMD", _clamd) if _clamd else None
CLAMD_TIMEOUT = env_int("TELEGARDE_CLAMD_TIMEOUT", 30, minimum=1)
YARA_RULES_DIR = env_optional("TELEGARDE_YARA_RULES_DIR")
if YARA_RULES_DIR is not None and not Path(YARA_RULES_DIR).is_dir():
    raise ConfigError("TELEGARDE_YARA_RULES_DIR", f"{YARA_RULES_DIR!r} is not a folder")
# thread: a background thread of each web process scans (embedded); worker: only
# `telegarde documents scan-worker` processes do (production).
DOCUMENTS_SCAN = env_choice("TELEGARDE_DOCUMENTS_SCAN", "thread", ("thread", "worker"))
# A scanner that does not answer: retry after this delay, doubled each time, up to the max.
DOCUMENTS_RETRY_SECONDS = env_int("TELEGARDE_DOCUMENTS_RETRY_SECONDS", 30, minimum=1)
DOCUMENTS_RETRY_MAX_SECONDS = env_int("TELEGARDE_DOCUMENTS_RETRY_MAX_SECONDS", 3600, minimum=1)
# --- end of Documents ---

# --- Issued documents (telegarde/documents/issued): prescriptions, reports, /verify ---
# Documents practitioners issue, verifiable by anyone (docs/issued-documents.md).
INSTALLED_APPS.append("telegarde.documents.issued")
# --- end of Issued documents ---

# --- Key rotation (telegarde/core/rotation.py, docs/messaging.md) ---
# Key-encryption keys that sealed data before the current TELEGARDE_DATA_KEY: still read,
# never used to seal, until `telegarde keys rotate` has re-wrapped everything and
# `telegarde keys status` shows none of them in use. A comma (or line) separated list,
# or a file named by TELEGARDE_DATA_KEYS_PREVIOUS_FILE.
DATA_KEYS_PREVIOUS = [
    key.strip()
    for key in (env_optional("TELEGARDE_DATA_KEYS_PREVIOUS") or "").replace("\n", ",").split(",")
    if key.strip()
]
_previous_problems = []
if DATA_KEY in DATA_KEYS_PREVIOUS:
    _previous_problems.append(
        ConfigError(
            "TELEGARDE_DATA_KEYS_PREVIOUS",
            "lists the current TELEGARDE_DATA_KEY",
            "list only the keys that were replaced",
        )
    )
if PRODUCTION and any(len(k) < 32 or len(set(k)) < 10 for k in DATA_KEYS_PREVIOUS):
    _previous_problems.append(
        ConfigError(
            "TELEGARDE_DATA_KEYS_PREVIOUS",
            "holds a key that is too short or too repetitive (needs 32+ varied characters)",
            "list the previous TELEGARDE_DATA_KEY exactly as it was",
        )
    )
if _previous_problems:
    raise ConfigErrors(_previous_problems)
# --- end of Key rotation ---

# --- Messaging (telegarde/messaging) ---
# Threads between patients and practitioners, sealed at rest (docs/messaging.md).
INSTALLED_APPS.append("telegarde.messaging")
# --- end of Messaging ---
