"""Protocol abuse caps: oversized or absurd requests, slow bodies, WebSocket floods.

Headers arrive whole from the server (granian's header read timeout, 10 s by default
through ``TELEGARDE_SHIELD_HEADER_TIMEOUT``, ends header slowloris); the body is read
here under a deadline, so a client trickling a body never holds a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .buckets import refill
from .config import Budget, ShieldSettings

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class SlowBody(Exception):
    """The body did not arrive within the deadline."""


class BodyTooLarge(Exception):
    """The body is larger than allowed."""


def request_problem(
    scope: MutableMapping[str, Any], cfg: ShieldSettings, route_class: str = "page"
) -> tuple[int, str] | None:
    """(status, reason) when the request head is abusive, else None."""
    headers = scope.get("headers") or []
    if len(headers) > cfg.max_headers:
        return 431, "too_many_headers"
    size = 0
    content_length: bytes | None = None
    for name, value in headers:
        size += len(name) + len(value) + 4
        if name == b"content-length":
            if content_length is not None and content_length != value:
                return 400, "malformed"
            content_length = value
    if size > cfg.max_header_bytes:
        return 431, "headers_too_large"
    target = len(scope.get("raw_path") or scope.get("path", "")) + len(
        scope.get("query_string", b"")
    )
    if target > cfg.max_url_bytes:
        return 414, "url_too_long"
    if content_length is not None:
        text = content_length.strip()
        if not text.isdigit() or len(text) > 15:
            return 400, "malformed"
        if int(text) > cfg.body_cap(route_class):
            return 413, "too_large"
    return None


def guard_body(receive: Receive, *, timeout: float, max_bytes: int) -> Receive:
    """``receive`` with a deadline for the whole body and a size cap."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    state = {"received": 0, "done": False}

    async def guarded() -> Message:
        if state["done"]:
            return await receive()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise SlowBody
        try:
            async with asyncio.timeout(remaining):
                message = await receive()
        except TimeoutError:
            raise SlowBody from None
        if message["type"] == "http.request":
            state["received"] += len(message.get("body", b""))
            if state["received"] > max_bytes:
                raise BodyTooLarge
            if not message.get("more_body", False):
                state["done"] = True
        else:
            state["done"] = True
        return message

    return guarded


class MessageRate:
    """A token bucket for one WebSocket connection's incoming messages."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.tokens = budget.burst
        self.last = asyncio.get_running_loop().time()

    def take(self) -> bool:
        now = asyncio.get_running_loop().time()
        self.tokens = refill(self.tokens, self.last, now, self.budget)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
