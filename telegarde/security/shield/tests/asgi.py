"""A tiny ASGI harness: the shield in front of an app that records what reached it."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from telegarde.security.shield.config import ShieldSettings
from telegarde.security.shield.middleware import Shield


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Inner:
    scopes: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(dict(scope))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def settings(**changes: Any) -> ShieldSettings:
    """Default settings with ``changes``; refusals are neither held nor penalised unless
    asked (held refusals and penalties have tests of their own)."""
    return dataclasses.replace(ShieldSettings(hold_seconds=0, hold_penalty_seconds=0), **changes)


def shield(cfg: ShieldSettings | None = None) -> tuple[Shield, Inner]:
    """A shield in front of an ``Inner`` (``settings()`` unless ``cfg``)."""
    inner = Inner()
    return Shield(inner, cfg or settings(), housekeeping=False), inner


async def request(
    app: Any,
    path: str = "/",
    *,
    peer: str = "192.0.2.1",
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
    chunks: list[bytes] | None = None,
    chunk_delay: float = 0.0,
) -> Answer:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers or [],
        "client": (peer, 12345),
        "server": ("127.0.0.1", 8000),
    }
    pending = list(chunks or [b""])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            await asyncio.sleep(3600)
        if chunk_delay:
            await asyncio.sleep(chunk_delay)
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(
        start["status"],
        {k.decode(): v.decode() for k, v in start.get("headers", [])},
        body,
    )
