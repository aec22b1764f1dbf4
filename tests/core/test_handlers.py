"""The WSGI and ASGI handlers remember each path's URL resolution (`core.handlers`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from studymate_api.core.handlers import StudyMateWSGIHandler, _resolved

SUBJECT = "/api/study/subjects/123/"


def served(handler: StudyMateWSGIHandler, path: str) -> tuple[str, bytes]:
    started: list[str] = []

    def start_response(status: str, headers: Any, *rest: Any) -> Any:
        started.append(status)
        return None

    body = b"".join(handler(RequestFactory().get(path).environ, start_response))
    return started[0], body


def test_a_path_is_resolved_once_and_answered_alike() -> None:
    handler = StudyMateWSGIHandler()
    _resolved.cache_clear()
    first = served(handler, SUBJECT)
    second = served(handler, SUBJECT)
    assert first[0].startswith("401")  # routed to the subject view, which wants a token
    assert first == second
    info = _resolved.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_each_request_gets_its_own_match() -> None:
    handler = StudyMateWSGIHandler()
    matches = [handler.resolve_request(RequestFactory().get(SUBJECT)) for _ in range(2)]
    assert matches[0].kwargs == matches[1].kwargs == resolve(SUBJECT).kwargs
    matches[0].kwargs["pk"] = 0
    assert handler.resolve_request(RequestFactory().get(SUBJECT)).kwargs == resolve(SUBJECT).kwargs
    assert matches[0].func is matches[1].func


@pytest.mark.parametrize("path", ["/api/study/no-such-thing/", "/nowhere/"])
def test_a_path_that_resolves_to_nothing_is_not_remembered(path: str) -> None:
    handler = StudyMateWSGIHandler()
    _resolved.cache_clear()
    status, _body = served(handler, path)
    assert status.startswith("404")
    assert _resolved.cache_info().currsize == 0


def test_a_request_with_its_own_urlconf_is_resolved_by_django() -> None:
    handler = StudyMateWSGIHandler()
    _resolved.cache_clear()
    request = RequestFactory().get("/")
    request.urlconf = "tests.core.test_handlers"  # type: ignore[attr-defined]
    assert handler.resolve_request(request).url_name == "own"
    assert _resolved.cache_info().currsize == 0


def _own(request: Any) -> HttpResponse:  # pragma: no cover - only resolved
    return HttpResponse()


urlpatterns: list[Any] = []


def _install() -> None:
    from django.urls import path

    urlpatterns.append(path("", _own, name="own"))


_install()
