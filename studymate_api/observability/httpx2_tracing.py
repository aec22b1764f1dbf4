"""Client spans for `httpx2`, the HTTP client the OpenAI SDK (OpenAI and Together) and the
Anthropic SDK send through.

OpenTelemetry's httpx instrumentation patches `httpx` only (used by the notifications); this
wraps httpx2's transports the same way: one CLIENT span per request with the stable HTTP
semantic-convention attributes, the trace context injected into the outgoing headers, errors
(exceptions and 4xx/5xx answers) marked on the span. Imported only when tracing is on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import wrapt
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

_SCOPE = "studymate_api.observability.httpx2"


def _start_attributes(request: httpx2.Request) -> dict[str, str | int]:
    url = request.url
    attributes: dict[str, str | int] = {
        "http.request.method": request.method,
        "url.full": str(url.copy_with(query=None)),  # query strings may hold keys
        "server.address": url.host,
    }
    if url.port is not None:
        attributes["server.port"] = url.port
    return attributes


def _finish(span: Span, response: httpx2.Response) -> None:
    status: int = response.status_code
    span.set_attribute("http.response.status_code", status)
    if status >= 400:
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", str(status))


@contextmanager
def _client_span(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Span]:
    """A CLIENT span around one request, its context injected into the request's headers."""
    request: httpx2.Request = args[0] if args else kwargs["request"]
    tracer = trace.get_tracer(_SCOPE)
    with tracer.start_as_current_span(
        request.method, kind=SpanKind.CLIENT, attributes=_start_attributes(request)
    ) as span:
        propagate.inject(request.headers)
        yield span


def _traced_send(
    wrapped: Callable[[httpx2.Request], httpx2.Response],
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> httpx2.Response:
    with _client_span(args, kwargs) as span:
        response = wrapped(*args, **kwargs)
        _finish(span, response)
        return response


async def _traced_send_async(
    wrapped: Callable[[httpx2.Request], Awaitable[httpx2.Response]],
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> httpx2.Response:
    with _client_span(args, kwargs) as span:
        response = await wrapped(*args, **kwargs)
        _finish(span, response)
        return response


def instrument_httpx2() -> None:
    wrapt.wrap_function_wrapper(httpx2.HTTPTransport, "handle_request", _traced_send)
    wrapt.wrap_function_wrapper(
        httpx2.AsyncHTTPTransport, "handle_async_request", _traced_send_async
    )
