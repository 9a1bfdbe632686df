"""Consultations in progress for bench/flood.py: both parties signed in, in the room, on
its signalling WebSocket, pinging and chatting while the phase runs.

Setup (once, before the phases): each practitioner signs in with password then TOTP (the
demo's published seed), each patient with password; both open the appointment's room
(``POST /consultation/rendez-vous/<appointment>/``, which also gives them the high
priority claim of a consultation in progress). During a phase each party keeps one
WebSocket on ``/ws/consultation/<room>/`` from its own loopback address, sends
``{"type": "ping"}`` every ``PING_EVERY_S`` and, once the room's state shows both parties
admitted and online, a chat line every ``CHAT_EVERY_S`` (jittered). The practitioner's
client admits its patient whenever the state shows them waiting, as the room page does.

Success: a pong within ``TIMEOUT_S`` of its ping; a chat line received by the peer within
``TIMEOUT_S``. A ping unanswered for ``TIMEOUT_S`` ends the connection (the client
reconnects, like the room page's heartbeat); a refused or dropped connection counts one
failure and is reopened after ``RECONNECT_S``. Operations still pending when the phase
ends get up to ``TIMEOUT_S`` to complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyotp

from bench.http import HOST, BenchError, Cookies, browser_headers, sign_in_as
from bench.load import ProtocolError, Response, fetch, percentile
from bench.websocket import Closed, Refused, WebSocket

PING_EVERY_S = 0.5
CHAT_EVERY_S = 3.0
TIMEOUT_S = 10.0
RECONNECT_S = 0.5
TICK_S = 0.05
SECOND_FACTOR_PATH = "/comptes/second-facteur/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
TOTP_LINK = re.compile(rb'href="(/comptes/mfa/totp/verifier/[^"]*)"')


@dataclass
class Party:
    role: str  # "patient" or "practitioner"
    email: str
    source: str
    cookies: Cookies
    room: str = ""
    peer: Party | None = field(default=None, repr=False)


# --- Setup ---------------------------------------------------------------------------------


def form_headers(cookies: Cookies, port: int, referer: str) -> list[tuple[str, str]]:
    origin = f"http://{HOST}:{port}"
    return [
        *browser_headers(cookies),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin),
        ("Referer", origin + referer),
    ]


async def _get(port: int, path: str, cookies: Cookies, source: str) -> Response:
    page = await fetch(HOST, port, "GET", path, headers=browser_headers(cookies), source=source)
    cookies.update(page)
    return page


async def _post_form(
    port: int, path: str, fields: dict[str, str], cookies: Cookies, source: str, token: bytes
) -> Response:
    body = urlencode({"csrfmiddlewaretoken": token.decode("ascii"), **fields}).encode("ascii")
    answer = await fetch(
        HOST, port, "POST", path, headers=form_headers(cookies, port, path), body=body,
        source=source,
    )  # fmt: skip
    cookies.update(answer)
    return answer


async def sign_in_professional(port: int, email: str, seed: str, source: str) -> Cookies:
    """Password, then the TOTP step (second-factor page, code form)."""
    cookies = await sign_in_as(port, email, source=source)
    choices = await _get(port, SECOND_FACTOR_PATH, cookies, source)
    link = TOTP_LINK.search(choices.body)
    if choices.status != 200 or link is None:
        raise BenchError(f"{email}: no TOTP choice on {SECOND_FACTOR_PATH} ({choices.status})")
    path = link.group(1).decode("ascii").replace("&amp;", "&")
    form = await _get(port, path, cookies, source)
    token = CSRF.search(form.body)
    if form.status != 200 or token is None:
        raise BenchError(f"{email}: the TOTP form answered {form.status}")
    code = pyotp.TOTP(seed).now()
    answer = await _post_form(port, path, {"code": code}, cookies, source, token.group(1))
    location = answer.header("location") or ""
    if answer.status != 302 or "/comptes/" in location:
        raise BenchError(f"{email}: the TOTP code was refused ({answer.status} to {location!r})")
    return cookies


async def enter_room(port: int, party: Party, appointment: str) -> str:
    """Open the appointment's room as ``party``; its identifier."""
    path = f"/consultation/rendez-vous/{appointment}/"
    page = await _get(port, path, party.cookies, party.source)
    token = CSRF.search(page.body)
    if page.status != 200 or token is None:
        raise BenchError(f"{party.email}: GET {path} answered {page.status}")
    answer = await _post_form(port, path, {}, party.cookies, party.source, token.group(1))
    found = re.fullmatch(r"/consultation/([0-9a-f-]{36})/", answer.header("location") or "")
    if answer.status != 302 or found is None:
        raise BenchError(f"{party.email}: entering the room answered {answer.status}")
    return found.group(1)


async def consultations(
    port: int, pairs: list[tuple[str, str]], appointments: list[str], seeds: dict[str, str]
) -> list[Party]:
    """Both parties of each (patient, practitioner) pair signed in and in their room."""
    parties: list[Party] = []
    for index, ((patient_email, practitioner_email), appointment) in enumerate(
        zip(pairs, appointments, strict=True)
    ):
        base = 30 + 2 * index
        doctor_source, patient_source = f"127.0.0.{base}", f"127.0.0.{base + 1}"
        doctor = Party(
            "practitioner",
            practitioner_email,
            doctor_source,
            await sign_in_professional(
                port, practitioner_email, seeds[practitioner_email], doctor_source
            ),
        )
        patient = Party(
            "patient",
            patient_email,
            patient_source,
            await sign_in_as(port, patient_email, source=patient_source),
        )
        for party in (doctor, patient):
            party.room = await enter_room(port, party, appointment)
        doctor.peer, patient.peer = patient, doctor
        parties += [doctor, patient]
    return parties


# --- Load ----------------------------------------------------------------------------------


@dataclass
class SignallingTally:
    pings: int = 0
    pongs: int = 0
    rtts: list[float] = field(default_factory=list)
    chats: int = 0
    delivered: int = 0
    deliveries: list[float] = field(default_factory=list)
    connects: int = 0
    connect_failures: int = 0
    drops: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    admits: int = 0

    def as_dict(self) -> dict[str, Any]:
        rtts, deliveries = sorted(self.rtts), sorted(self.deliveries)
        attempts = self.pings + self.chats + self.connect_failures
        return {
            "operations": attempts,
            "success": round((self.pongs + self.delivered) / attempts, 4) if attempts else None,
            "pings": self.pings,
            "pongs": self.pongs,
            "p50_ms": _ms(percentile(rtts, 0.50)),
            "p95_ms": _ms(percentile(rtts, 0.95)),
            "chats": self.chats,
            "chats_delivered": self.delivered,
            "chat_p50_ms": _ms(percentile(deliveries, 0.50)),
            "chat_p95_ms": _ms(percentile(deliveries, 0.95)),
            "connects": self.connects,
            "connect_failures": self.connect_failures,
            "drops": sum(self.drops.values()),
            "drop_reasons": dict(self.drops),
            "admits": self.admits,
            "refusals": dict(self.refusals),
            "errors": dict(self.errors),
        }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class Chats:
    """Chat lines in flight: text -> (recipient's email, time sent)."""

    pending: dict[str, tuple[str, float]] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=itertools.count)


class Client:
    """One party's signalling connection for one phase."""

    def __init__(
        self, port: int, party: Party, tally: SignallingTally, chats: Chats, stop: float
    ) -> None:
        self.port, self.party, self.tally, self.chats, self.stop = port, party, tally, chats, stop
        self.pings: deque[float] = deque()
        self.in_call = False
        self.admitted: set[str] = set()

    async def run(self) -> None:
        clock = time.perf_counter
        while clock() < self.stop:
            try:
                async with asyncio.timeout(TIMEOUT_S):
                    socket = await WebSocket.connect(
                        HOST, self.port, f"/ws/consultation/{self.party.room}/",
                        headers=[
                            ("Origin", f"http://{HOST}:{self.port}"),
                            ("Cookie", self.party.cookies.header()),
                        ],
                        source=self.party.source,
                    )  # fmt: skip
            except (Refused, OSError, TimeoutError, ProtocolError) as exc:
                self.tally.connect_failures += 1
                reason = str(exc.response.status) if isinstance(exc, Refused) else "error"
                self.tally.refusals[reason] += 1
                await asyncio.sleep(RECONNECT_S)
                continue
            self.tally.connects += 1
            ended = await self._session(socket)
            if ended is None:
                return
            self.tally.drops[ended] += 1
            await asyncio.sleep(RECONNECT_S)

    async def _session(self, socket: WebSocket) -> str | None:
        """Drive one connection: None when the phase ended with it alive, else why it
        ended (the server's close code, "heartbeat" or "error")."""
        self.in_call = False
        self.admitted.clear()
        reading = asyncio.create_task(self._read(socket))
        ended: str | None = "error"
        try:
            ended = await self._send(socket, reading)
        except OSError:
            pass
        finally:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
            self.pings.clear()  # unanswered: counted as failed (sent, never answered)
            if ended is None:
                await socket.close()
            else:
                socket.writer.close()
        if ended == "closed" and reading.done() and not reading.cancelled():
            ended = f"closed {reading.result()}"
        return ended

    async def _send(self, socket: WebSocket, reading: asyncio.Task[int]) -> str | None:
        clock = time.perf_counter
        next_ping = clock()
        next_chat = clock() + random.uniform(0.5, CHAT_EVERY_S)
        while not reading.done():
            now = clock()
            if self.pings and now - self.pings[0] > TIMEOUT_S:
                return "heartbeat"  # lost: reconnect (its pings count as failed)
            if now >= self.stop:
                if not self.pings and not self._own_chats_pending():
                    return None
                if now > self.stop + TIMEOUT_S:
                    return None
            else:
                if now >= next_ping:
                    socket.send_text('{"type":"ping"}')
                    self.pings.append(now)
                    self.tally.pings += 1
                    next_ping = now + PING_EVERY_S
                if now >= next_chat and self.in_call and self.party.peer is not None:
                    text = f"bench {self.party.role} {next(self.chats.numbers)}"
                    socket.send_text(json.dumps({"type": "chat", "text": text}))
                    self.chats.pending[text] = (self.party.peer.email, now)
                    self.tally.chats += 1
                    next_chat = now + CHAT_EVERY_S * random.uniform(0.7, 1.3)
            await socket.writer.drain()
            await asyncio.sleep(TICK_S)
        return "closed"

    def _own_chats_pending(self) -> bool:
        peer = self.party.peer
        return peer is not None and any(to == peer.email for to, _ in self.chats.pending.values())

    async def _read(self, socket: WebSocket) -> int:
        """Handle the server's messages until the connection ends; its close code (1006:
        no close frame)."""
        try:
            while True:
                self._handle(socket, json.loads(await socket.receive()))
        except Closed as closed:
            return closed.code
        except (OSError, ProtocolError, ValueError):
            return 1006

    def _handle(self, socket: WebSocket, message: dict[str, Any]) -> None:
        kind = message.get("type")
        now = time.perf_counter()
        if kind == "pong" and self.pings:
            rtt = now - self.pings.popleft()
            if rtt <= TIMEOUT_S:
                self.tally.pongs += 1
                self.tally.rtts.append(rtt * 1000)
        elif kind == "chat":
            entry = self.chats.pending.get(str(message.get("text")))
            if entry is not None and entry[0] == self.party.email:
                del self.chats.pending[str(message.get("text"))]
                if now - entry[1] <= TIMEOUT_S:
                    self.tally.delivered += 1
                    self.tally.deliveries.append((now - entry[1]) * 1000)
        elif kind == "state":
            self._on_state(socket, message)
        elif kind == "error":
            self.tally.errors[str(message.get("field"))] += 1

    def _on_state(self, socket: WebSocket, state: dict[str, Any]) -> None:
        people = state.get("participants", [])
        here = [p for p in people if p.get("state") == "admitted" and p.get("online")]
        self.in_call = len(here) >= 2 and state.get("you", {}).get("state") == "admitted"
        if self.party.role != "practitioner":
            return
        for person in people:
            waiting = person.get("role") == "patient" and person.get("state") == "waiting"
            if waiting and person["id"] not in self.admitted:
                self.admitted.add(person["id"])  # once per connection: states cross admits
                socket.send_text(json.dumps({"type": "admit", "participant": person["id"]}))
                self.tally.admits += 1


async def signalling_load(port: int, parties: list[Party], duration: float) -> SignallingTally:
    """Every party on its room's WebSocket for ``duration`` seconds (plus the grace for
    what is still pending); chat lines not delivered by then count as failures."""
    tally = SignallingTally()
    chats = Chats()
    stop = time.perf_counter() + duration
    await asyncio.gather(*(Client(port, p, tally, chats, stop).run() for p in parties))
    return tally
