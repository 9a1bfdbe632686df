"""Patients browsing and booking for bench/flood.py: a keep-alive "browser" that keeps
its cookies as a browser does, the booking pages it visits, and the booking itself.

A patient's round: home page and its stylesheet, ``/rendez-vous/mes-rendez-vous/``, the
search page ``/rendez-vous/`` and one practitioner's free slots (a link of the search
page). Once per phase, on the free-slots page, the patient books: one of the listed
slots at random (not today's, so that the booking does not raise the patient to the
"appointment today" priority mid-run and every phase measures the same mix), posted
with the form's CSRF token. A booking succeeds when it is answered by a 302 to the new
appointment's page within the timeout.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bench.http import HOST, Cookies, browser_headers
from bench.load import Response, build_request, open_connection, percentile, read_response

MINE_PATH = "/rendez-vous/mes-rendez-vous/"
SEARCH_PATH = "/rendez-vous/"
SLOTS_LINK = re.compile(rb'href="(/rendez-vous/praticiens/[0-9a-f-]{36}/)"')
SLOT_FORM = re.compile(
    rb'<form method="post" action="(/rendez-vous/praticiens/[0-9a-f-]{36}/reserver/)">(.*?)</form>',
    re.DOTALL,
)
HIDDEN = re.compile(rb'<input type="hidden" name="(\w+)" value="([^"]*)">')
APPOINTMENT = re.compile(r"/rendez-vous/[0-9a-f-]{36}/")
PARIS = ZoneInfo("Europe/Paris")


def copy_cookies(cookies: Cookies) -> Cookies:
    fresh = Cookies()
    fresh.values = dict(cookies.values)
    return fresh


class Browser:
    """One patient's keep-alive connection from its own address, with its cookies."""

    def __init__(self, port: int, source: str, cookies: Cookies, timeout: float) -> None:
        self.port, self.source, self.cookies, self.timeout = port, source, cookies, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None
    ) -> Response:
        """One request on the kept-alive connection (reopened when needed); the
        connection is dropped on any error, which propagates."""
        origin = f"http://{HOST}:{self.port}"
        headers = browser_headers(self.cookies)
        body = b""
        if form is not None:
            body = urlencode(form).encode("ascii")
            headers += [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", origin),
                ("Referer", origin + path),
            ]
        data = build_request(method, path, host=f"{HOST}:{self.port}", headers=headers, body=body)
        try:
            async with asyncio.timeout(self.timeout):
                if self.writer is None:
                    self.reader, self.writer = await open_connection(
                        HOST, self.port, source=self.source
                    )
                assert self.reader is not None
                self.writer.write(data)
                await self.writer.drain()
                response = await read_response(self.reader, method=method)
        except BaseException:
            self.close()
            raise
        self.cookies.update(response)
        if not response.keep_alive:
            self.close()
        return response

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class BookingTally:
    attempts: int = 0
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    no_slot: int = 0

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        p50, p95 = percentile(ordered, 0.50), percentile(ordered, 0.95)
        return {
            "attempts": self.attempts,
            "success": round(self.ok / self.attempts, 4) if self.attempts else None,
            "p50_ms": None if p50 is None else round(p50, 1),
            "p95_ms": None if p95 is None else round(p95, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "no_free_slot": self.no_slot,
        }


def free_slot_forms(
    page: bytes, *, today: datetime | None = None
) -> list[tuple[str, dict[str, str]]]:
    """(action, fields) of each booking form on a free-slots page, today's left out when
    later days have slots."""
    local_today = (today or datetime.now(PARIS)).astimezone(PARIS).date()
    forms: list[tuple[str, dict[str, str]]] = []
    for action, inner in SLOT_FORM.findall(page):
        fields = {name.decode(): value.decode() for name, value in HIDDEN.findall(inner)}
        if "starts_at" in fields and "csrfmiddlewaretoken" in fields:
            forms.append((action.decode(), fields))
    later = [
        form
        for form in forms
        if datetime.fromisoformat(form[1]["starts_at"]).astimezone(PARIS).date() > local_today
    ]
    return later or forms


async def book_from(browser: Browser, slots_page: bytes, tally: BookingTally, clock: Any) -> None:
    """Book one slot of ``slots_page`` at random; counts the attempt in ``tally``.
    Errors propagate (the caller counts them) after the attempt is recorded."""
    forms = free_slot_forms(slots_page)
    if not forms:
        tally.no_slot += 1
        return
    action, fields = random.choice(forms)
    tally.attempts += 1
    sent = clock()
    try:
        answer = await browser.request("POST", action, form=fields)
    except BaseException:
        tally.statuses[0] += 1
        raise
    tally.statuses[answer.status] += 1
    location = answer.header("location") or ""
    if answer.status == 302 and APPOINTMENT.fullmatch(location):
        tally.ok += 1
        tally.latencies.append((clock() - sent) * 1000)
