"""A WebSocket client for the consumer tests, driving the real ASGI stack in-process.

It is channels.testing.WebsocketCommunicator in a few lines: importing that package
imports its live-server helper, which needs daphne (not a dependency of the project).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from unittest import mock

from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from telegarde.asgi import Platform

TIMEOUT = 5.0


def _no_op() -> None:
    pass


class Socket(ApplicationCommunicator):
    """One browser's connection to ``path``, with its session cookie when it has one."""

    refused: int | None = None

    def __init__(self, path: str, session_key: str | None = None) -> None:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if session_key:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
            "client": ("192.0.2.10", 50000),
        }
        super().__init__(Platform().websocket, scope)  # type: ignore[no-untyped-call]

    # As channels' communicator: the test database connection must outlive each message.
    async def send_input(self, message: dict[str, Any]) -> None:
        with mock.patch("channels.db.close_old_connections", _no_op):
            await super().send_input(message)  # type: ignore[no-untyped-call]

    async def receive_output(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        with mock.patch("channels.db.close_old_connections", _no_op):
            output: dict[str, Any] = await super().receive_output(timeout)  # type: ignore[no-untyped-call]
            return output

    async def connect(self) -> int | None:
        """None when accepted, else the close code."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output()
        if response["type"] == "websocket.close":
            return int(response.get("code", 1000))
        assert response["type"] == "websocket.accept"
        return None

    async def send_json(self, data: dict[str, Any]) -> None:
        await self.send_text(json.dumps(data))

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def receive_json(self) -> dict[str, Any]:
        """The next message; fails on a close."""
        output = await self.receive_output()
        assert output["type"] == "websocket.send", output
        message: dict[str, Any] = json.loads(output["text"])
        return message

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first message ``wanted`` accepts, skipping the others."""
        while True:
            message = await self.receive_json()
            if wanted(message):
                return message

    async def next(self, kind: str) -> dict[str, Any]:
        return await self.until(lambda message: message["type"] == kind)

    async def closed(self) -> tuple[list[dict[str, Any]], int]:
        """What the server sent until it closed, and the close code."""
        seen: list[dict[str, Any]] = []
        while True:
            output = await self.receive_output()
            if output["type"] == "websocket.close":
                return seen, int(output.get("code", 1000))
            seen.append(json.loads(output["text"]))

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(TIMEOUT)  # type: ignore[no-untyped-call]
