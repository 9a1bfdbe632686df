"""The shield: the outermost ASGI application, in front of Django and Channels.

For every HTTP request and WebSocket handshake, without touching the database:
protocol caps, client address, route class, bans, budgets (one backend call; with
Redis, only when this process cannot tell the answer itself, see shared.py), the
booking queue, then a slot from the priority scheduler — or a refusal with
``Retry-After``. See docs/shield.md for the whole picture.
"""

from __future__ import annotations

import asyncio
import atexit
import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings

from telegarde.accounts.device import is_known_browser
from telegarde.core.claims import COOKIE_NAME as CLAIM_COOKIE
from telegarde.core.claims import HIGH as CLAIM_HIGH
from telegarde.core.claims import Claim, read_claim

from . import bans, pages, queue, reporting
from .backends import Backend, MemoryBackend, RedisBackend, Verdict
from .board import Board
from .classify import METRICS_PATH, classify
from .clients import Client, client_address, client_for
from .config import Budget, ShieldSettings
from .holds import Holds
from .metrics import Metrics
from .priority import HIGH, LOW, NORMAL, Gate, Scheduler
from .protocol import BodyTooLarge, MessageRate, SlowBody, guard_body, request_problem
from .shared import SharedBackend

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[Any]]

SATURATED_RETRY_S = 2
LAG_PROBE_S = 0.02  # the lag probe's sleep
# Share of recent probes that woke up late (moving average, each probe weighing
# LATE_WEIGHT) from which the worker counts as saturated: one long pause (a first
# request's imports) is not saturation, a loop late again and again is.
LATE_WEIGHT = 0.2
LATE_SHARE_SATURATED = 0.5
# ... provided this worker itself is busy (its CPU time over wall time, averaged the same
# way): a loop late because other processes hold the machine is not this worker's
# saturation, and shedding its anonymous requests would not help anyone.
BUSY_SHARE = 0.3
WS_POLICY_VIOLATION = 1008
WS_TRY_AGAIN_LATER = 1013
HTML = b"text/html; charset=utf-8"


def make_backend(cfg: ShieldSettings, on_change: Callable[[str, dict[str, Any]], None]) -> Backend:
    if cfg.redis_url:
        return SharedBackend(RedisBackend(cfg.redis_url, cfg.redis_prefix), on_change)
    return MemoryBackend()


class Shield:
    def __init__(
        self,
        app: ASGIApp,
        cfg: ShieldSettings,
        *,
        backend: Backend | None = None,
        housekeeping: bool = True,
    ) -> None:
        self.app = app
        self.cfg = cfg
        self.metrics = Metrics()
        self.backend = backend or make_backend(cfg, self._backend_changed)
        self.gate = Gate(Scheduler(cfg.max_inflight, cfg.concurrency, cfg.anonymous_slots))
        self.window = reporting.Window(started=time.time())
        self.holds = Holds(
            cfg.hold_seconds, cfg.hold_per_address, cfg.hold_max, cfg.hold_penalty_seconds
        )
        self.queue_length = 0.0
        self.housekeeping = housekeeping
        self._housekeeper: asyncio.Task[None] | None = None
        self._lag_probe: asyncio.Task[None] | None = None
        self.loop_lag = 0.0
        self.late_share = 0.0
        self.cpu_share = 0.0
        self.open_sockets = 0  # signalling WebSockets open in this worker
        self._autobanned: dict[str, float] = {}
        # (route class, signed in) -> the address's and the network's budgets
        self._budgets: dict[tuple[str, bool], tuple[Budget, Budget]] = {}
        for route_class, budget in cfg.budgets.items():
            for signed_in in (False, True):
                address = budget.scaled(cfg.signed_in_factor) if signed_in else budget
                self._budgets[(route_class, signed_in)] = (
                    address,
                    address.scaled(cfg.prefix_factor),
                )
        # One thread for the shield's database work (events, bans), off the event loop
        # and apart from the request threads.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shield")

    # --- entry point ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        kind = scope["type"]
        if kind == "lifespan":
            return await self._lifespan(scope, receive, send)
        if kind not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if self.housekeeping and self._housekeeper is None:
            self._start_worker()
        cfg = self.cfg
        headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
        peer = scope.get("client")
        client = client_for(
            client_address(
                peer[0] if peer else None, headers, cfg.trusted_proxies, cfg.proxy_header
            )
        )
        environ = dict(scope.get("telegarde.environ") or {})
        environ["TELEGARDE_CLIENT_IP"] = client.ip
        scope["telegarde.environ"] = environ
        scope["telegarde.client_ip"] = client.ip
        route_class = classify(kind, scope.get("path", ""))

        if kind == "http" and scope.get("path") == METRICS_PATH:
            return await self._metrics_endpoint(headers, send)
        problem = request_problem(scope, cfg, route_class) if kind == "http" else None
        if problem is not None:
            status, reason = problem
            kind_page = "too_large" if status == 413 else "malformed"
            return await self._refuse(scope, send, client, route_class, status, reason, kind_page)
        until = bans.table().banned_until(client)
        if until is not None:
            retry = max(1, math.ceil(until - time.time()))
            return await self._refuse(
                scope, send, client, route_class, 403, "banned", "banned", retry, receive,
                hold=True,
            )  # fmt: skip

        claim = _claim(headers)
        if claim is None and kind == "http":
            now = time.monotonic()
            if self.holds.penalty_left(client.ip, now) > 0:
                # Coming back during the penalty starts it again (Retry-After says when
                # to come back instead).
                self.holds.penalise(client.ip, now)
                return await self._refuse(
                    scope, send, client, route_class, 429, "penalty", "limited",
                    math.ceil(self.holds.penalty_seconds), hold=True,
                )  # fmt: skip
        level = _level(route_class, claim, headers)
        buckets = self._buckets(client, route_class, claim)
        # Signed-in people are held to their budgets, never banned automatically.
        strike_key = client.ip if cfg.autoban_rejections > 0 and claim is None else None
        if (
            kind == "http"
            and level == LOW
            and route_class != "booking"
            and self.gate.scheduler.sheds_low()
        ):
            # Shed at the gate below whatever its budget says: no round trip to Redis
            # for it, but a refusal the budgets give here still counts toward a ban.
            verdict = self.backend.decide_here(buckets, strike_key)
            if verdict is None or verdict.allowed:
                return await self._refuse(
                    scope, send, client, route_class, 503, "saturated", "saturated",
                    SATURATED_RETRY_S, hold=True,
                )  # fmt: skip
        else:
            verdict = await self.backend.take(buckets, strike_key)
        if not verdict.allowed:
            self._maybe_autoban(client, verdict)
            if claim is None and kind == "http":
                self.holds.penalise(client.ip, time.monotonic())
            return await self._refuse(
                scope, send, client, route_class, 429, "budget", "limited",
                max(1, math.ceil(verdict.retry_after)), receive, hold=claim is None,
            )  # fmt: skip
        if kind == "websocket":
            return await self._websocket(scope, receive, send, client, claim)

        if route_class == "booking" and level != HIGH:
            admitted = await self._queue(scope, send, headers, client, route_class)
            if admitted is None:
                return None
            send = admitted
        ticket = await self.gate.acquire(route_class, level)
        if ticket is None:
            return await self._refuse(
                scope, send, client, route_class, 503, "saturated", "saturated",
                SATURATED_RETRY_S,
            )  # fmt: skip
        self.metrics.count("allowed", route_class)
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            guarded = guard_body(
                receive,
                timeout=cfg.body_timeout_for(route_class),
                max_bytes=cfg.body_cap(route_class),
            )
            return await self.app(scope, guarded, tracked_send)
        except SlowBody:
            if not started:
                await self._refuse(scope, send, client, route_class, 408, "slow_body", "too_slow")
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, client, route_class, 413, "too_large", "too_large")
        finally:
            self.gate.release(ticket)
        return None

    def _buckets(
        self, client: Client, route_class: str, claim: Claim | None
    ) -> list[tuple[str, Budget]]:
        address, network = self._budgets[(route_class, claim is not None)]
        # A key names its budget: signed-in and anonymous requests from one address have
        # buckets of their own, and every process agrees on each bucket's arithmetic.
        buckets = [
            (f"ip:{client.ip}:{route_class}:{address.label}", address),
            (f"net:{client.prefix}:{route_class}:{network.label}", network),
        ]
        if claim is not None and route_class != "static":
            budget = self.cfg.user_budget
            buckets.append((f"user:{claim.user_id}:{budget.label}", budget))
        return buckets

    # --- refusals ------------------------------------------------------------------------

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        client: Client,
        route_class: str,
        status: int,
        reason: str,
        page: str,
        retry_after: int | None = None,
        receive: Receive | None = None,
        *,
        hold: bool = False,
    ) -> None:
        """Refuse with ``status``. ``hold``: an abusive request, whose refusal waits
        (when the limits allow) and closes the connection (holds.py)."""
        self.metrics.count("rejected", route_class, reason)
        self.window.count(client.ip, route_class, reason)
        if scope["type"] == "websocket":
            if receive is not None:
                await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": WS_TRY_AGAIN_LATER})
            return
        headers = [] if retry_after is None else [(b"retry-after", str(retry_after).encode())]
        if hold:
            headers.append((b"connection", b"close"))
            if self.holds.take(client.ip):
                self.metrics.count("held", route_class, reason)
                try:
                    await asyncio.sleep(self.holds.duration())
                finally:
                    self.holds.give(client.ip)
        language = pages.language_of(scope.get("headers") or [])
        await _respond(send, status, pages.refusal_body(page, language), headers)

    def _maybe_autoban(self, client: Client, verdict: Verdict) -> None:
        limit = self.cfg.autoban_rejections
        if limit <= 0 or verdict.strikes < limit or client.ip in self._autobanned:
            return
        now = time.time()
        self._autobanned = {ip: t for ip, t in self._autobanned.items() if t > now}
        expires = now + self.cfg.ban_seconds
        self._autobanned[client.ip] = expires
        network = bans.parse_network(client.ip)
        bans.table().add(network, expires)
        reason = f"{verdict.strikes} requêtes refusées en une minute"
        self._in_thread(_persist_autoban, client.ip, self.cfg.ban_seconds, reason)

    # --- booking queue -------------------------------------------------------------------

    async def _queue(
        self,
        scope: Scope,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        client: Client,
        route_class: str,
    ) -> Send | None:
        """The ``send`` to continue with when the visitor is admitted, else None (the
        queue page was sent)."""
        cfg = self.cfg
        rate, burst = cfg.queue_rate, max(1.0, cfg.queue_rate * 2)
        raw = queue.cookie_value(headers, queue.COOKIE_NAME)
        token = queue.read_token(raw, client.ip, ttl=cfg.queue_token_ttl) if raw else None
        new_cookie: str | None = None
        if token is not None:
            head, tail = await self.backend.queue_position(rate, burst)
            ticket = token.ticket
            if ticket > tail:  # numbered by a queue that was reset: queue again
                token = None
        if token is None:
            ticket, head = await self.backend.queue_enter(rate, burst)
            tail = ticket
            new_cookie = queue.issue_token(ticket, client.ip)
        self.queue_length = max(0.0, tail - head)
        cookie_header = (
            []
            if new_cookie is None
            else [
                (
                    b"set-cookie",
                    f"{queue.COOKIE_NAME}={new_cookie}; Max-Age={cfg.queue_token_ttl}; "
                    "Path=/; HttpOnly; SameSite=Lax".encode(),
                )
            ]
        )
        if ticket <= head:
            if not cookie_header:
                return send

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *cookie_header]}
                await send(message)

            return send_with_cookie
        position = max(1, math.ceil(ticket - head))
        wait = position / rate
        refresh = int(min(30, max(3, wait / 2)))
        self.metrics.count("queued", route_class, "queue")
        self.window.count(client.ip, route_class, "queued")
        language = pages.language_of(headers)
        await _respond(
            send,
            503,
            pages.queue_body(language, position, wait, refresh),
            [(b"retry-after", str(refresh).encode()), *cookie_header],
        )
        return None

    # --- WebSocket (signalling) ----------------------------------------------------------

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, client: Client, claim: Claim | None
    ) -> Any:
        cfg = self.cfg
        keys = [(f"ip:{client.ip}", cfg.ws_per_ip)]
        if claim is not None:
            keys.append((f"user:{claim.user_id}", cfg.ws_per_user))
        if not await self.backend.ws_open(keys):
            return await self._refuse(
                scope, send, client, "signalling", 403, "ws_connections", "limited", None, receive
            )
        self.metrics.count("allowed", "signalling")
        rate = MessageRate(cfg.ws_messages)
        closed = False

        async def guarded_receive() -> Message:
            nonlocal closed
            if closed:
                return {"type": "websocket.disconnect", "code": WS_POLICY_VIOLATION}
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            size = len(message.get("bytes") or b"") + len(message.get("text") or "")
            reason = "ws_message_size" if size > cfg.ws_max_message_bytes else None
            if reason is None and not rate.take():
                reason = "ws_message_rate"
            if reason is None:
                return message
            closed = True
            self.metrics.count("rejected", "signalling", reason)
            self.window.count(client.ip, "signalling", reason)
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION})
            return {"type": "websocket.disconnect", "code": WS_POLICY_VIOLATION}

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        self.open_sockets += 1
        try:
            return await self.app(scope, guarded_receive, guarded_send)
        finally:
            self.open_sockets -= 1
            await self.backend.ws_close([key for key, _ in keys])

    # --- metrics, lifespan, housekeeping -------------------------------------------------

    async def _metrics_endpoint(self, headers: list[tuple[bytes, bytes]], send: Send) -> None:
        token = self.cfg.metrics_token
        if token is None:
            return await _respond(send, 404, b"Not found", [], b"text/plain")
        given = b""
        for name, value in headers:
            if name == b"authorization":
                given = value
        if not hmac.compare_digest(given, b"Bearer " + token.encode()):
            return await _respond(
                send, 401, b"Unauthorized", [(b"www-authenticate", b"Bearer")], b"text/plain"
            )
        decisions = self.backend.decisions if isinstance(self.backend, SharedBackend) else {}
        body = self.metrics.render(self.gauges(), decisions)
        await _respond(send, 200, body, [], b"text/plain; version=0.0.4")
        return None

    def gauges(self) -> dict[str, Callable[[], float]]:
        scheduler = self.gate.scheduler
        return {
            "inflight": lambda: scheduler.running,
            "waiting": lambda: self.gate.waiting,
            "held": lambda: self.holds.held,
            "penalised": lambda: len(self.holds.penalised),
            "loop_lag_seconds": lambda: self.loop_lag,
            "loop_late_share": lambda: self.late_share,
            "cpu_share": lambda: self.cpu_share,
            "bans_active": lambda: len(bans.table()),
            "queue_length": lambda: self.queue_length,
            "backend_redis_up": lambda: 1.0 if self.backend.name == "redis" else 0.0,
        }

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> Any:
        async def on_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.flush_events()
            return message

        return await self.app(scope, on_receive, send)

    def _backend_changed(self, change: str, data: dict[str, Any]) -> None:
        if change == "failed_over":
            self.metrics.backend_failovers += 1
        outcome = "failure" if change == "failed_over" else "success"
        self._in_thread(reporting.write_event, f"shield.backend.{change}", data, outcome)

    def _in_thread(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self.executor, _with_db, fn, *args)

    async def flush_events(self) -> None:
        window, self.window = self.window, reporting.Window(started=time.time())
        if window.clients:
            try:
                await self._in_thread(
                    reporting.write_window, window, time.time(), self.backend.name
                )
            except Exception:
                logger.exception("shield: could not record aggregated decisions")

    async def refresh_bans(self) -> None:
        try:
            await self._in_thread(bans.refresh_from_database)
        except Exception:
            logger.exception("shield: could not refresh bans from the database")

    def _start_worker(self) -> None:
        """On the first request, in the worker process: the board, the housekeeping
        and the lag probe."""
        if self.cfg.board_path:
            board = Board.open(Path(self.cfg.board_path))
            if board is not None:
                self.gate.scheduler.others_busy = board.others_busy
                self.gate.scheduler.publish = board.publish
                atexit.register(board.leave)
        loop = asyncio.get_running_loop()
        self._housekeeper = loop.create_task(self._housekeep())
        self._lag_probe = loop.create_task(self.probe_lag())

    async def probe_lag(self) -> None:
        """Sleep ``LAG_PROBE_S`` again and again. When the probe keeps waking up late by
        ``lag_pressure_ms`` or more while this worker keeps the CPU busy, the worker is
        saturated (requests in threads, a flood being parsed); if signed-in people are
        being served or a consultation's socket is open here, anonymous requests stand
        aside (there is nobody to stand aside for otherwise)."""
        loop = asyncio.get_running_loop()
        threshold = self.cfg.lag_pressure_ms / 1000
        scheduler = self.gate.scheduler
        while True:
            before, cpu_before = loop.time(), time.process_time()
            await asyncio.sleep(LAG_PROBE_S)
            elapsed = loop.time() - before
            self.loop_lag = elapsed - LAG_PROBE_S
            late = 1.0 if self.loop_lag >= threshold else 0.0
            self.late_share += LATE_WEIGHT * (late - self.late_share)
            cpu = min(1.0, (time.process_time() - cpu_before) / elapsed) if elapsed > 0 else 0.0
            self.cpu_share += LATE_WEIGHT * (cpu - self.cpu_share)
            if (
                self.late_share >= LATE_SHARE_SATURATED
                and self.cpu_share >= BUSY_SHARE
                and (self.open_sockets > 0 or scheduler.served_signed_in_recently())
            ):
                scheduler.pressed()
            # Anonymous requests may be waiting on another worker's signed-in work, or
            # on a pressure that has ended, with nothing finishing here to start them.
            self.gate.regrant()

    async def _housekeep(self) -> None:
        last_flush = time.monotonic()
        while True:
            await self.refresh_bans()
            await asyncio.sleep(self.cfg.ban_sync_interval)
            if time.monotonic() - last_flush >= self.cfg.events_interval:
                last_flush = time.monotonic()
                await self.flush_events()


def _claim(headers: list[tuple[bytes, bytes]]) -> Claim | None:
    value = queue.cookie_value(headers, CLAIM_COOKIE)
    return read_claim(value) if value else None


def _level(route_class: str, claim: Claim | None, headers: list[tuple[bytes, bytes]]) -> int:
    if route_class == "health":
        return HIGH  # load balancers must not see a saturated instance as dead
    if claim is None:
        # Static files are cheap and part of every page a visitor already got; a browser
        # that signed in before (signed device cookie) is a returning user, not the flood.
        if route_class == "static" or (route_class == "login" and _returning_browser(headers)):
            return NORMAL
        return LOW
    return HIGH if claim.level == CLAIM_HIGH else NORMAL


def _returning_browser(headers: list[tuple[bytes, bytes]]) -> bool:
    value = queue.cookie_value(headers, settings.DEVICE_COOKIE_NAME)
    return value is not None and is_known_browser(value)


def _with_db(fn: Callable[..., Any], *args: Any) -> Any:
    from django.db import close_old_connections, connection

    close_old_connections()
    try:
        return fn(*args)
    finally:
        connection.close()


def _persist_autoban(ip: str, seconds: int, reason: str) -> None:
    from .actions import do_add_ban

    do_add_ban(ip, seconds=seconds, reason=reason, source="shield", acting_user=None)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    content_type: bytes = HTML,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
