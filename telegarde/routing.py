"""WebSocket routes of every app, gathered in one list (the consultation app adds its
signalling consumer here)."""

from typing import Any

websocket_urlpatterns: list[Any] = []
