"""WebSocket routes of the realtime domain (mounted by `studymate_api.routing`)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
