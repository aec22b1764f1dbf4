from django.urls import path

from . import apis

app_name = "metrics"

urlpatterns = [
    path("business/", apis.BusinessMetricsApi.as_view(), name="business"),
    path("system/", apis.SystemMetricsApi.as_view(), name="system"),
]
