from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from personalization.apis.recommendations import SubjectRecommendationListApi
from realtime import asyncapi
from realtime.pages import realtime_dashboard
from studymate_api import health, landing
from studymate_api.metrics.exposition import metrics_view

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/", include("accounts.urls")),
    path("study/realtime/", include("realtime.urls")),
    # Served by personalization's engine: study cannot import personalization (the reverse
    # import exists), so the route is mounted here, ahead of the study app's own.
    path(
        "study/subjects/personalized_recommendations/",
        SubjectRecommendationListApi.as_view(),
        name="study-subjects-recommendations",
    ),
    path("study/", include("study.urls")),
    path("cqrs/", include("study.cqrs.urls")),
    path("quiz/", include("quiz.urls")),
    path("personalization/", include("personalization.urls")),
    path("subscription/", include("subscription.urls")),
    path("notifications/", include("notifications.urls")),
    path("metrics/", include("studymate_api.metrics.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # The WebSocket protocol, beside the REST one: the document and a page for people.
    path("asyncapi.json", asyncapi.asyncapi_json, name="asyncapi-json"),
    path("asyncapi.yaml", asyncapi.asyncapi_yaml, name="asyncapi-yaml"),
    path("asyncapi/", asyncapi.asyncapi_page, name="asyncapi"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    path("health/alive/", health.alive, name="health-alive"),
    # Also without the slash: that is the path Prometheus scrapes by default.
    re_path(r"^metrics/?$", metrics_view, name="prometheus-metrics"),
    path("admin/", admin.site.urls),
    path("dashboard/realtime/", realtime_dashboard, name="realtime-dashboard"),
    path("", landing.landing_page, name="landing"),
    path("templates/realtime_dashboard.html", landing.legacy_dashboard_redirect),
]

admin.site.site_header = "StudyMate administration"
admin.site.site_title = "StudyMate admin"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
