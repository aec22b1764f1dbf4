"""Accounts endpoints: export (a copy of everything the account owns, as a zip)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.http import FileResponse
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import NotFound, Throttled
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.throttling import AnonThrottle

from .. import selectors
from ..models import User
from ..models.lifecycle import DataExport, DataExportStatus
from ..services import export as services


class DataExportOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=DataExportStatus.choices,
        help_text="`ready` while the download link works; `expired` once it no longer does.",
    )
    download_url = serializers.URLField(
        allow_null=True,
        help_text="The signed link to the zip while `status` is `ready`; it needs no "
        "Authorization header and stops working at `expires_at`.",
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


def _export_data(request: Request, export: DataExport) -> dict[str, Any]:
    # A ready export past its link is expired for the learner before the sweep gets to it.
    ready = export.status == DataExportStatus.READY
    live = ready and _after(export.expires_at, timezone.now())
    state = DataExportStatus.EXPIRED if ready and not live else export.status
    site = request.build_absolute_uri("/").rstrip("/")
    url = services.data_export_download_url(export, site=site) if live else None
    body = {
        "id": export.pk,
        "status": state,
        "download_url": url,
        "expires_at": export.expires_at,
        "created_at": export.created_at,
        "completed_at": export.completed_at,
    }
    return dict(DataExportOutputSerializer(body).data)


def _after(moment: datetime.datetime | None, now: datetime.datetime) -> bool:
    return moment is not None and moment > now


class DataExportApi(APIView):
    @extend_schema(
        request=None,
        responses={202: DataExportOutputSerializer, **raises(Throttled)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Ask for a copy of your data

        Answers 202 with the export's `id` and `status` and builds, in the background, a zip of
        everything your account holds: one JSON file per area (account, study, quizzes,
        personalization, study sessions and rooms, notifications, subscription and payments)
        and CSV files of your study progress and quiz answers. Read it again
        (`GET /api/auth/account/export/{id}/`) until `status` is `ready`; you are also notified,
        in the app and by email, with the download link. One export a day while the last one
        is being prepared or ready to download: 429 `throttled` with `Retry-After` until then.
        """
        user = cast(User, request.user)
        site = request.build_absolute_uri("/").rstrip("/")
        export = services.data_export_request(user=user, site=site)
        headers = location(request, "accounts:data-export-detail", export_id=export.pk)
        return Response(
            _export_data(request, export), status=status.HTTP_202_ACCEPTED, headers=headers
        )


class DataExportDetailApi(APIView):
    @extend_schema(responses={200: DataExportOutputSerializer, **raises(NotFound)})
    def get(self, request: Request, export_id: int) -> Response:
        """Get the state of a data export

        `status` goes `pending`, `processing`, then `ready` (or `failed`); `download_url` is set
        while it is ready, until `expires_at`; after that the file is deleted and `status` is
        `expired`. Another account's export is a 404.
        """
        export = selectors.data_export_get(user=cast(User, request.user), export_id=export_id)
        return Response(_export_data(request, export))


class DataExportDownloadApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle,)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **raises(NotFound),
        },
    )
    def get(self, request: Request, token: str) -> FileResponse:
        """Download a data export

        The signed link from the export's `download_url` (and from the notification): it needs
        no Authorization header, so it can be opened from an email. Answers the zip as an
        attachment. A link that was altered, or used after `expires_at`, is a 404.
        """
        export = services.data_export_for_download(token=token)
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:
            raise NotFound() from None
        stamp = (export.completed_at or export.created_at).strftime("%Y%m%d")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{services.ARCHIVE_PREFIX}-{stamp}.zip",
            content_type="application/zip",
        )
        # The link is the credential: neither caches nor the next page's Referer keep it.
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The zip is ours to answer (above); every Response, errors included, is JSON.
        return JSONRenderer(), JSONRenderer.media_type

    def get_renderers(self) -> list[BaseRenderer]:
        return [JSONRenderer()]


urlpatterns: list[URLPattern] = [
    path("account/export/", DataExportApi.as_view(), name="data-export"),
    path(
        "account/export/<int:export_id>/",
        DataExportDetailApi.as_view(),
        name="data-export-detail",
    ),
    path(
        "account/export/download/<str:token>/",
        DataExportDownloadApi.as_view(),
        name="data-export-download",
    ),
]
