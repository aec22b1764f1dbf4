from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100), answered as `{count, next, previous, results}`."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


# For the schema of paginated views that are not DRF list views (pages of cached rows, pages
# built by hand): DRF's list views document these by themselves.
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Items per page, at most 100."),
]
