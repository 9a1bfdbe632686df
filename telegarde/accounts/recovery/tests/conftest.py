"""Helpers for the recovery tests: run after-commit work and wait for the mail thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.test import Client

from telegarde.accounts.recovery.mail import outbox

Post = Callable[[str, dict[str, str]], Any]


@pytest.fixture(autouse=True)
def fresh_budgets() -> None:
    cache.clear()


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Iterator[Post]:
    """POST as a visitor, run the on-commit callbacks, and wait until mails are sent."""

    def send(url: str, data: dict[str, str]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert outbox().wait_idle()
        return response

    mail.outbox.clear()
    yield send


def link_in(message: EmailMessage) -> str:
    """The platform link in a mail body, as a path."""
    for line in str(message.body).splitlines():
        if line.startswith("http") and "/comptes/" in line:
            return line[line.index("/comptes/") :].strip()
    raise AssertionError(f"no link in {message.body!r}")
