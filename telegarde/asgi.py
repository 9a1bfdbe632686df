"""ASGI entry point: HTTP through Django's WSGI handler in one thread hop, WebSockets
through Channels, lifespan answered here. ``telegarde serve`` runs this under granian."""

from __future__ import annotations

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")
django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

from telegarde.documents.worker import queue_scan  # noqa: E402
from telegarde.lib.wsgi_bridge import Receive, Scope, Send, WSGIBridge  # noqa: E402
from telegarde.routing import websocket_urlpatterns  # noqa: E402
from telegarde.security.shield.middleware import Shield  # noqa: E402


class Platform:
    def __init__(self) -> None:
        # The shield caps each route class; the bridge only the largest of those caps.
        self.http = WSGIBridge(
            WSGIHandler(), threads=settings.SERVE_THREADS, max_body=settings.SHIELD.largest_body()
        )
        self.websocket = AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] == "http":
            return await self.http(scope, receive, send)
        if scope["type"] == "websocket":
            return await self.websocket(scope, receive, send)
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        raise ValueError(f"unsupported ASGI scope {scope['type']!r}")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Documents left pending by the previous run are scanned again (embedded).
            queue_scan(0)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# The shield is the outermost layer: it decides before Django, sessions or the database.
application: Any = Shield(Platform(), settings.SHIELD) if settings.SHIELD.enabled else Platform()
