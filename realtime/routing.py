"""WebSocket routes of the realtime domain (mounted by `studymate_api.routing`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .consumers.learning import LearningAnalyticsConsumer
from .consumers.monitoring import MonitoringConsumer
from .consumers.rooms import RoomConsumer

websocket_urlpatterns: list[URLPattern] = [
    path(
        "ws/learning/analytics/",
        LearningAnalyticsConsumer.as_asgi(),
        name="ws-learning-analytics",
    ),
]
websocket_urlpatterns += [
    path("ws/study/room/<int:room_id>/", RoomConsumer.as_asgi(), name="ws-study-room"),
    path("ws/system/monitoring/", MonitoringConsumer.as_asgi(), name="ws-system-monitoring"),
]
