"""WebSocket routes of every app, gathered in one list."""

from typing import Any

from telegarde.consultation.routing import websocket_urlpatterns as consultation

websocket_urlpatterns: list[Any] = [*consultation]
