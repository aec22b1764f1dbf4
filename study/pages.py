"""Pages of pre-rendered rows: what the hot, cached list endpoints store and answer.

A `Page` holds the count and each row already encoded as JSON, independent of the request's
host, so a cache hit costs one small unpickle and a byte join instead of rendering rows again
(a DRF serializer costs about ten times a plain dict here). The `next`/`previous` links are
added per request by `page_response`, exactly as DRF's page-number pagination writes them
(`?page=`, `?page_size=` up to 100).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from studymate_api.core.errors import NotFound
from studymate_api.core.pagination import StandardPagination

M = TypeVar("M", bound=Model)
Row = dict[str, Any]


def encode(value: Any) -> bytes:
    """JSON as DRF's renderer writes it (compact, UTF-8); rows hold plain values only."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class PageRequest:
    number: int = 1
    size: int = StandardPagination.page_size

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page:
    count: int
    number: int
    size: int
    rows: tuple[bytes, ...]

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count

    @property
    def results(self) -> list[Row]:
        return [json.loads(row) for row in self.rows]


def page_request(params: Mapping[str, Any]) -> PageRequest:
    """`?page=` must be a positive integer (else 404, like DRF); a bad `?page_size=` falls back
    to the default and a large one is capped, like DRF."""
    pagination = StandardPagination
    number = _positive_int(str(params.get("page", "1") or "1"))
    if number is None:
        raise NotFound(_("Invalid page."))
    size = pagination.page_size
    raw_size = _positive_int(str(params.get(pagination.page_size_query_param, "") or ""))
    if raw_size is not None:
        size = min(raw_size, pagination.max_page_size)
    return PageRequest(number=number, size=size)


# Past this no page can exist, and an offset this large overflows the database's integers.
_MAX_DIGITS = 12


def _positive_int(raw: str) -> int | None:
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit() accepts.
    if not raw.isdecimal() or len(raw) > _MAX_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def page_of(queryset: QuerySet[M], page: PageRequest, render: Callable[[M], Row]) -> Page:
    """Two queries whatever the page holds: the count and the rows."""
    count = queryset.count()
    _check_in_range(page, count)
    objects = list(queryset[page.offset : page.offset + page.size])
    rows = tuple(encode(render(obj)) for obj in objects)
    return Page(count=count, number=page.number, size=page.size, rows=rows)


def page_of_rows(rows: Sequence[bytes], page: PageRequest) -> Page:
    """A page of a list already in memory (and in order)."""
    _check_in_range(page, len(rows))
    chunk = tuple(rows[page.offset : page.offset + page.size])
    return Page(count=len(rows), number=page.number, size=page.size, rows=chunk)


def _check_in_range(page: PageRequest, count: int) -> None:
    if page.number > 1 and page.offset >= count:
        raise NotFound(_("Invalid page."))


def page_response(request: Request, page: Page) -> HttpResponse:
    """`{count, next, previous, results}` without rendering the rows again."""
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page.number + 1) if page.has_next else None
    previous_url = None
    if page.number == 2:
        previous_url = remove_query_param(url, "page")
    elif page.number > 2:
        previous_url = replace_query_param(url, "page", page.number - 1)
    body = b"".join(
        (
            b'{"count":%d,"next":%s,"previous":%s,"results":['
            % (page.count, encode(next_url), encode(previous_url)),
            b",".join(page.rows),
            b"]}",
        )
    )
    return HttpResponse(body, content_type="application/json")


def iso(value: datetime.datetime | None) -> str | None:
    """A datetime as DRF renders it (ISO 8601 in the current time zone, `Z` for UTC)."""
    return None if value is None else _DATETIME.to_representation(value)


_DATETIME = serializers.DateTimeField()
