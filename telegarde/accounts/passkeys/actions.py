"""State changes on passkeys; each records its ``auth.passkey.*`` event in the same transaction.

Events carry a short hash of the credential id, never the id, the public key or a challenge.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from telegarde.accounts.models import User
from telegarde.core.events import record_event

from .ceremonies import Assertion, PasskeyRejected, Registration, b64url
from .models import Passkey


@transaction.atomic
def do_register_passkey(
    user: User,
    registration: Registration,
    *,
    name: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Passkey:
    verified = registration.verified
    passkey = Passkey(
        user=user,
        name=name.strip(),
        credential_id=b64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=registration.transports,
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
    )
    try:
        with transaction.atomic():
            passkey.save()
    except IntegrityError as exc:  # the same authenticator registered twice at once
        raise PasskeyRejected("already_registered") from exc
    record_event(
        "auth.passkey.registered",
        actor=acting_user,
        request=request,
        target=passkey,
        data={
            "name": passkey.name,
            "key_hash": passkey.id_hash,
            "owner": str(user.external_id),
        },
    )
    return passkey


@transaction.atomic
def do_rename_passkey(
    passkey: Passkey, name: str, *, acting_user: User, request: HttpRequest | None = None
) -> None:
    old = passkey.name
    passkey.name = name.strip()
    passkey.save(update_fields=["name"])
    record_event(
        "auth.passkey.renamed",
        actor=acting_user,
        request=request,
        target=passkey,
        data={"old_name": old, "name": passkey.name, "key_hash": passkey.id_hash},
    )


@transaction.atomic
def do_remove_passkey(
    passkey: Passkey, *, acting_user: User, request: HttpRequest | None = None
) -> None:
    record_event(
        "auth.passkey.removed",
        actor=acting_user,
        request=request,
        target=passkey,
        data={"name": passkey.name, "key_hash": passkey.id_hash},
    )
    passkey.delete()


@transaction.atomic
def do_use_passkey(
    assertion: Assertion, *, purpose: str, request: HttpRequest | None = None
) -> Passkey:
    """Record a verified assertion; refuses it when the signature counter went backwards.

    A counter that does not grow means two authenticators hold the same key (a clone):
    the conditional update makes two concurrent uses of one counter value fail one of them.
    """
    passkey, count = assertion.passkey, assertion.new_sign_count
    updated = Passkey.objects.filter(pk=passkey.pk)
    if count > 0 or passkey.sign_count > 0:
        updated = updated.filter(sign_count__lt=count)
    if not updated.update(sign_count=count, last_used=timezone.now()):
        raise PasskeyRejected("cloned_authenticator", passkey=passkey)
    passkey.sign_count = count
    record_event(
        "auth.passkey.login.succeeded",
        actor=passkey.user,
        request=request,
        target=passkey.user,
        data={"purpose": purpose, "key_hash": passkey.id_hash, "name": passkey.name},
    )
    return passkey


@transaction.atomic
def do_record_passkey_failure(
    rejection: PasskeyRejected,
    *,
    ceremony: str,
    purpose: str,
    user: User | None,
    request: HttpRequest | None = None,
) -> None:
    """``auth.passkey.login.failed`` or ``auth.passkey.registration.failed``, with the reason."""
    passkey = rejection.passkey
    target = passkey.user if passkey is not None else user
    data: dict[str, str] = {"reason": rejection.reason, "purpose": purpose}
    if passkey is not None:
        data["key_hash"] = passkey.id_hash
    record_event(
        f"auth.passkey.{ceremony}.failed",
        outcome="failure",
        request=request,
        target=target,
        data=data,
    )
