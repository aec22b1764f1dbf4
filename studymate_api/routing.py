"""WebSocket routes: the project mounts each domain app's routes, as urls.py does for HTTP."""

from __future__ import annotations

from django.urls import URLPattern

from realtime.routing import websocket_urlpatterns as realtime_patterns

websocket_urlpatterns: list[URLPattern] = [*realtime_patterns]
