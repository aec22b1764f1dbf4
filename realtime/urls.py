from django.urls import URLPattern, URLResolver, path

from . import learning_apis, room_apis

app_name = "realtime"

urlpatterns: list[URLPattern | URLResolver] = [
    path("learning/start_session/", learning_apis.StartSessionApi.as_view(), name="start-session"),
    path("learning/end_session/", learning_apis.EndSessionApi.as_view(), name="end-session"),
    path(
        "learning/session_status/",
        learning_apis.SessionStatusApi.as_view(),
        name="session-status",
    ),
    path(
        "learning/active_sessions/",
        learning_apis.ActiveSessionsApi.as_view(),
        name="active-sessions",
    ),
    path("learning/dashboard/", learning_apis.DashboardApi.as_view(), name="learning-dashboard"),
    path("streaming/status/", learning_apis.StreamingStatusApi.as_view(), name="streaming-status"),
    path(
        "streaming/metrics/",
        learning_apis.StreamingMetricsApi.as_view(),
        name="streaming-metrics",
    ),
]
urlpatterns += [
    path("rooms/", room_apis.RoomListApi.as_view(), name="rooms"),
    path("rooms/join/", room_apis.RoomJoinByCodeApi.as_view(), name="rooms-join-by-code"),
    path("rooms/<int:room_id>/", room_apis.RoomDetailApi.as_view(), name="room"),
    path("rooms/<int:room_id>/join/", room_apis.RoomJoinApi.as_view(), name="room-join"),
    path("rooms/<int:room_id>/leave/", room_apis.RoomLeaveApi.as_view(), name="room-leave"),
    path("rooms/<int:room_id>/invite/", room_apis.RoomInviteApi.as_view(), name="room-invite"),
    path(
        "rooms/<int:room_id>/rotate_invite_code/",
        room_apis.RoomRotateInviteCodeApi.as_view(),
        name="room-rotate-invite-code",
    ),
    path(
        "rooms/<int:room_id>/messages/",
        room_apis.RoomMessageListApi.as_view(),
        name="room-messages",
    ),
]
