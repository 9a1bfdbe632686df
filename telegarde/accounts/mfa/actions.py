"""Second-factor actions; every enrolment, use and failure is a security event."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.accounts.factors import has_second_factor, second_factor_required
from telegarde.accounts.models import User
from telegarde.core.events import record_event
from telegarde.core.vault import keks, open_text, seal_text

from . import totp
from .models import RecoveryCode, TotpDevice

SEAL_PURPOSE = "mfa.totp.secret"
RECOVERY_CODES = 10
ENROLMENT_MINUTES = 15
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand


def totp_context(device: TotpDevice) -> str:
    return f"totp:{device.external_id}"


def totp_secret(device: TotpDevice) -> str:
    # Seeds sealed before envelopes (lib/crypto.seal) open until the key rotation converts them.
    return open_text(totp_context(device), device.sealed_secret, legacy_purpose=SEAL_PURPOSE)


def _sealed_device(user: User, secret: str, *, confirmed_at: datetime | None = None) -> TotpDevice:
    device = TotpDevice(user=user, confirmed_at=confirmed_at)
    device.sealed_secret = seal_text(totp_context(device), secret)
    device.save()
    return device


@transaction.atomic
def do_start_totp_enrolment(user: User, *, request: HttpRequest | None = None) -> TotpDevice:
    """The authenticator being enrolled: the pending one if recent, else a new seed."""
    stale = timezone.now() - timedelta(minutes=ENROLMENT_MINUTES)
    TotpDevice.objects.filter(user=user, confirmed_at__isnull=True, created__lt=stale).delete()
    existing = TotpDevice.objects.filter(user=user).first()
    if existing is not None:
        return existing
    return _sealed_device(user, totp.new_secret())


@transaction.atomic
def do_enrol_known_totp(user: User, secret: str) -> TotpDevice:
    """Enrol a seed chosen elsewhere (the demo's published seeds), already confirmed."""
    device = _sealed_device(user, secret, confirmed_at=timezone.now())
    record_event("auth.mfa.totp.enrolled", target=user, data={"source": "demo"})
    return device


def do_confirm_totp(device: TotpDevice, code: str, *, request: HttpRequest) -> list[str]:
    """Confirm with a first code; returns new recovery codes when the user had none."""
    step = totp.matching_step(totp_secret(device), code)
    if step is None:
        # Recorded on its own: the refusal below must not roll the event back.
        record_event(
            "auth.mfa.totp.enrolment_failed", outcome="failure", request=request, target=device.user
        )
        raise ValidationError({"code": _("Code incorrect. Vérifiez l'heure de votre téléphone.")})
    with transaction.atomic():
        return _confirm(device, step, request)


def _confirm(device: TotpDevice, step: int, request: HttpRequest) -> list[str]:
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    record_event("auth.mfa.totp.enrolled", request=request, target=device.user)
    if not RecoveryCode.objects.filter(user=device.user, used_at__isnull=True).exists():
        return do_generate_recovery_codes(device.user, request=request)
    return []


@transaction.atomic
def do_remove_totp(user: User, *, request: HttpRequest) -> None:
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return
    device.delete()
    if second_factor_required(user) and not has_second_factor(user):
        raise ValidationError(
            _(
                "Votre rôle impose un second facteur : "
                "ajoutez-en un autre avant de retirer celui-ci."
            )
        )
    record_event("auth.mfa.totp.removed", request=request, target=user)


def verify_totp(user: User, code: str, *, request: HttpRequest, purpose: str) -> bool:
    """True when ``code`` is a current code not used before; records the outcome."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    step = totp.matching_step(totp_secret(device), code) if device is not None else None
    reason = "bad_code"
    if device is not None and step is not None:
        # Conditional update: of two requests with the same code, one wins.
        won = TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
            last_used_step=step
        )
        if won:
            record_event(
                "auth.mfa.succeeded",
                request=request,
                target=user,
                data={"factor": "totp", "purpose": purpose},
            )
            return True
        reason = "replayed_code"
    record_event(
        "auth.mfa.failed",
        outcome="failure",
        request=request,
        target=user,
        data={"factor": "totp", "purpose": purpose, "reason": reason},
    )
    return False


def _hash_code(code: str, key: str | None = None) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    secret = (key or settings.DATA_KEY).encode()
    return hmac.new(secret, normal.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def do_generate_recovery_codes(user: User, *, request: HttpRequest | None) -> list[str]:
    """Ten fresh single-use codes, replacing any left; shown once, stored hashed."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_hash_code(c)) for c in codes
    )
    record_event("auth.mfa.recovery_codes.generated", request=request, target=user)
    return codes


def use_recovery_code(user: User, code: str, *, request: HttpRequest, purpose: str) -> bool:
    used = RecoveryCode.objects.filter(
        # Codes issued before a key rotation were keyed with a previous data key.
        user=user,
        code_hash__in=[_hash_code(code, key) for key in keks()],
        used_at__isnull=True,
    ).update(used_at=timezone.now())
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    if used:
        record_event(
            "auth.mfa.succeeded",
            request=request,
            target=user,
            data={"factor": "recovery_code", "purpose": purpose, "codes_left": left},
        )
        return True
    record_event(
        "auth.mfa.failed",
        outcome="failure",
        request=request,
        target=user,
        data={"factor": "recovery_code", "purpose": purpose, "reason": "bad_code"},
    )
    return False
