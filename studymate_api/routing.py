"""WebSocket routes. Each domain app contributes its consumers here (realtime first)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
