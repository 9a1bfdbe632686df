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
import queue
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

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str | Promise
    template: str
    context: dict[str, Any]
    language: str


class Outbox:
    """One daemon thread draining a bounded queue; drops (and logs) when full."""

    def __init__(self, capacity: int = 1000) -> None:
        self._queue: queue.Queue[Mail] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name="recovery-mail", daemon=True)
        self._thread.start()

    def put(self, mail: Mail) -> None:
        try:
            self._queue.put_nowait(mail)
        except queue.Full:
            logger.error("recovery mail: queue full, a %s mail was dropped", mail.template)

    def wait_until_sent(self, timeout: float = 10.0) -> bool:
        """Block until every queued mail was handed to the mailer (tests, shutdown)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            mail = self._queue.get()
            try:
                _deliver(mail)
            except Exception:
                # The template name only: the context holds links that are secrets.
                logger.exception("recovery mail: sending a %s mail failed", mail.template)
            finally:
                self._queue.task_done()


def _deliver(mail: Mail) -> None:
    with translation.override(mail.language):
        body = render_to_string(mail.template, mail.context)
        subject = f"[{mail.context['platform_name']}] {mail.subject}"
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [mail.to]).send()


@cache
def outbox() -> Outbox:
    return Outbox()


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
