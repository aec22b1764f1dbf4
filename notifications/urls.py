from django.urls import path

from . import apis

app_name = "notifications"

urlpatterns = [
    path("", apis.NotificationListApi.as_view(), name="list"),
    path("<int:notification_id>/read/", apis.NotificationReadApi.as_view(), name="read"),
    path("read_all/", apis.NotificationReadAllApi.as_view(), name="read-all"),
    path("unread_count/", apis.UnreadCountApi.as_view(), name="unread-count"),
    path("preferences/", apis.PreferenceApi.as_view(), name="preferences"),
    path("devices/", apis.DeviceApi.as_view(), name="devices"),
    path("unsubscribe/", apis.UnsubscribeApi.as_view(), name="unsubscribe"),
]
