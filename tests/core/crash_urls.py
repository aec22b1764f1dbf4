"""Test-only routes that fail on purpose, mounted over the real URLconf."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_crash(request: Request) -> Response:
    raise RuntimeError("boom with secret detail")


def django_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom with secret detail")


urlpatterns = [
    path("api/test/drf-crash/", drf_crash),
    path("api/test/django-crash/", django_crash),
    path("", include("studymate_api.urls")),
]
