"""Test-only views that exercise the shared permission classes."""

from django.urls import include, path
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import LoginHistory
from studymate_api.core.permissions import IsOwner, IsStaff


class StaffOnly(APIView):
    permission_classes = (IsAuthenticated, IsStaff)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class OwnedEntry(RetrieveAPIView[LoginHistory]):
    permission_classes = (IsAuthenticated, IsOwner)
    queryset = LoginHistory.objects.all()

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        entry = self.get_object()
        return Response({"id": entry.pk})


urlpatterns = [
    path("api/test/staff/", StaffOnly.as_view()),
    path("api/test/entries/<int:pk>/", OwnedEntry.as_view()),
    path("", include("studymate_api.urls")),
]
