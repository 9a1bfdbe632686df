"""The booking queue: a numbered, signed ticket that cannot be forged or shared."""

from __future__ import annotations

import re

import pytest

from telegarde.security.shield import queue

from .asgi import request, settings, shield

pytestmark = pytest.mark.asyncio


def ticket_cookie(set_cookie: str) -> list[tuple[bytes, bytes]]:
    value = re.match(r"telegarde_file=([^;]+)", set_cookie)
    assert value is not None
    return [(b"cookie", f"telegarde_file={value.group(1)}".encode())]


async def test_it_queues_a_surge_and_lets_tickets_through_in_order() -> None:
    app, inner = shield(settings(queue_rate=0.001))
    first = await request(app, "/rendez-vous/", peer="198.51.100.1")
    assert first.status == 200  # the queue's saved-up capacity: served at once
    queued = await request(app, "/rendez-vous/", peer="198.51.100.2")
    assert queued.status == 503 and "retry-after" in queued.headers
    assert b"file d'attente" in queued.body
    cookie = ticket_cookie(queued.headers["set-cookie"])
    again = await request(app, "/rendez-vous/", peer="198.51.100.2", headers=cookie)
    assert again.status == 503 and "set-cookie" not in again.headers  # same place kept
    assert len(inner.scopes) == 1


async def test_it_treats_forged_shared_or_expired_tickets_as_no_ticket() -> None:
    genuine = queue.issue_token(1, "198.51.100.2")
    assert queue.read_token(genuine, "198.51.100.2", ttl=60) is not None
    _, issued, binding, signature = genuine.split(".")
    assert queue.read_token(f"0.{issued}.{binding}.{signature}", "198.51.100.2", ttl=60) is None
    assert queue.read_token(genuine, "203.0.113.9", ttl=60) is None  # shared
    old = queue.issue_token(1, "198.51.100.2", now=0)
    assert queue.read_token(old, "198.51.100.2", ttl=60) is None
    for junk in ["", "a.b.c.d", "1.2.3", "9" * 300, "1.1.x.y"]:
        assert queue.read_token(junk, "198.51.100.2", ttl=60) is None


async def test_it_admits_a_ticket_once_the_line_reaches_it() -> None:
    app, inner = shield(settings(queue_rate=1000.0))
    answers = [await request(app, "/rendez-vous/", peer=f"198.51.100.{i}") for i in range(1, 30)]
    assert all(a.status == 200 for a in answers)  # a fast line: nobody waits
    assert "telegarde_file=" in answers[0].headers["set-cookie"]
    assert len(inner.scopes) == 29


async def test_own_appointments_and_the_agenda_are_never_queued_in_a_booking_rush() -> None:
    app, inner = shield(settings(queue_rate=0.001))
    assert (await request(app, "/rendez-vous/", peer="198.51.100.1")).status == 200
    assert (await request(app, "/rendez-vous/", peer="198.51.100.2")).status == 503  # the rush
    appointment = "/rendez-vous/6f0c8d39-2b7e-4d4f-8a43-0c9e5f3b9a21/"
    for path in ("/rendez-vous/mes-rendez-vous/", appointment, "/rendez-vous/agenda/"):
        answer = await request(app, path, peer="198.51.100.3")
        assert answer.status == 200 and "set-cookie" not in answer.headers, path
    assert len(inner.scopes) == 4
