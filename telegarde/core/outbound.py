"""Sending messages that carry a verification code checkable on the platform."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .events import record_event
from .models import OutboundMessage

logger = logging.getLogger(__name__)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(value: str) -> str:
    raw = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


def send_verified_mail(
    *,
    recipient_email: str,
    recipient_id: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    purpose: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> OutboundMessage:
    """Record the message with a fresh code, then send it (after commit), in French.

    ``attachments`` are ``(file name, content, MIME type)``, e.g. a calendar invitation.
    """
    message = register_message(
        recipient_email=recipient_email, recipient_id=recipient_id, subject=subject, purpose=purpose
    )
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            template,
            {**context, "verification_code": message.code, "public_url": settings.PUBLIC_URL},
        )
    email = EmailMessage(subject=subject, body=body, to=[recipient_email])
    for name, content, mimetype in attachments or ():
        email.attach(name, content, mimetype)
    transaction.on_commit(lambda: _deliver(email, message.code))
    return message


def register_message(
    *, recipient_email: str, recipient_id: str, subject: str, purpose: str
) -> OutboundMessage:
    """Issue the verification code of one message about to be sent (and record it)."""
    message = OutboundMessage.objects.create(
        code=new_code(),
        recipient_id=recipient_id,
        recipient_email=recipient_email,
        subject=subject[:200],
        purpose=purpose,
        sent_at=timezone.now(),
    )
    record_event(
        "message.sent",
        target=message,
        target_type="outboundmessage",
        data={"purpose": purpose, "recipient_id": recipient_id},
    )
    return message


def _deliver(email: EmailMessage, code: str) -> None:
    # A mail server outage must not break the action that sent the message.
    try:
        email.send()
    except Exception:
        logger.exception("outbound message %s could not be handed to the mail server", code)


def find_message(code: str) -> OutboundMessage | None:
    return OutboundMessage.objects.filter(code=normalise_code(code)).first()
