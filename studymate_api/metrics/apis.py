"""Staff endpoints: business and system metrics."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.permissions import IsStaff

from .reports import business_report, system_report
from .serializers import BusinessQuerySerializer, BusinessReportSerializer, SystemReportSerializer


class BusinessMetricsApi(APIView):
    permission_classes = (IsAuthenticated, IsStaff)

    @extend_schema(
        tags=["metrics"],
        parameters=[BusinessQuerySerializer],
        responses={200: BusinessReportSerializer},
    )
    def get(self, request: Request) -> Response:
        """Get business metrics (staff)

        Active users, sign-ups, tracked events and AI usage per day over the last `days` UTC days
        (30 by default).
        """
        query = BusinessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = business_report(days=query.validated_data["days"])
        return Response(BusinessReportSerializer(report).data)


class SystemMetricsApi(APIView):
    permission_classes = (IsAuthenticated, IsStaff)

    @extend_schema(
        tags=["metrics"],
        responses={200: SystemReportSerializer},
    )
    def get(self, request: Request) -> Response:
        """Get system state (staff)

        This server process, the database, the cache, the Celery queue and the event buffer; a
        dependency that fails is reported unreachable.
        """
        return Response(SystemReportSerializer(system_report()).data)
