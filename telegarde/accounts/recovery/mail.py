"""Mails rendered and sent on a background thread, after the response.

Reset and registration answer the same way, in the same time, whether or not the address
has an account; rendering and sending a mail only in one of the two cases would show in
the response time, so the request only queues plain data here (after commit) and returns.
Within a request, queued mails are handed to the thread only when the response is
finished (``request_finished``), so that rendering one never competes for the
interpreter with the response it would otherwise slow down. A mail still queued when the
process stops is lost: the person asks again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from telegarde.lib.background import BackgroundQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str | Promise
    template: str
    context: dict[str, Any]
    language: str


def _deliver_all(mails: list[Mail]) -> None:
    for mail in mails:
        try:
            _deliver(mail)
        except Exception:
            # The template name only: the context holds links that are secrets.
            logger.exception("recovery mail: sending a %s mail failed", mail.template)


def _deliver(mail: Mail) -> None:
    with translation.override(mail.language):
        body = render_to_string(mail.template, mail.context)
        subject = f"[{mail.context['platform_name']}] {mail.subject}"
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [mail.to]).send()


@cache
def outbox() -> BackgroundQueue[Mail]:
    """One daemon thread draining a bounded queue of mails; drops (and logs) when full."""
    return BackgroundQueue(_deliver_all, name="recovery-mail", capacity=1000)


_held = threading.local()


def _hold(mail: Mail) -> None:
    held: list[Mail] | None = getattr(_held, "mails", None)
    if held is None:
        outbox().put(mail)  # outside a request (commands, background jobs)
    else:
        held.append(mail)


def _request_started(**kwargs: Any) -> None:
    _held.mails = []


def _request_finished(**kwargs: Any) -> None:
    held: list[Mail] = getattr(_held, "mails", None) or []
    _held.mails = None
    for mail in held:
        outbox().put(mail)


request_started.connect(_request_started, dispatch_uid="recovery-mail-hold")
request_finished.connect(_request_finished, dispatch_uid="recovery-mail-release")


def send_after_commit(mail: Mail) -> None:
    """Queue ``mail`` once the current transaction commits (nothing on rollback) and the
    current response, if any, is finished."""
    transaction.on_commit(lambda: _hold(mail))
