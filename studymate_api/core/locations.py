"""The `Location` header of `201 Created` and `202 Accepted` answers (see API.md, Conventions).

Built by reversing the new resource's own route, so it follows the URL configuration and is
absolute (scheme and host of the request, as a client behind a proxy sees them):

    return Response(body, status=201, headers=location(request, "study:goal", goal_id=goal.pk))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework.request import Request


def location(
    request: Request | HttpRequest,
    viewname: str,
    *,
    query: Mapping[str, Any] | None = None,
    **url_kwargs: Any,
) -> dict[str, str]:
    """`{"Location": <absolute URL of viewname>}`, for a response's `headers`. `query` is for
    the few resources that are addressed by a query parameter rather than a path."""
    path = reverse(viewname, kwargs=url_kwargs or None)
    if query:
        path = f"{path}?{urlencode(query)}"
    return {"Location": request.build_absolute_uri(path)}
