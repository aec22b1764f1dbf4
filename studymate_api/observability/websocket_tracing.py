"""Spans for the realtime consumers' WebSocket work (`realtime.consumers.base.JsonConsumer`).

OpenTelemetry's ASGI instrumentation is not used for sockets: it would hold one server span open
for a socket's whole life (hours, a trace that never ends) and add a span for every frame sent,
group broadcasts included. Instead, each piece of work is a short trace of its own:

- `ws.connect`: the handshake (continuing a `traceparent` the client sent, if any);
- `ws.receive <type>`: one client message, from the rate limit to the handler's end (`ws.receive`
  alone when it was refused before its type was known: rate limited, too big, invalid, unknown);
- `ws.disconnect`: the teardown, with the close code.

Receive and disconnect spans link to their socket's connect span. Attributes: `ws.consumer`,
`ws.route`, `url.path` (never the query string: it may hold the token), `ws.message_type`,
`enduser.id` when authenticated, `studymate.request_id` (the socket's id, in its log lines too),
`ws.error_code` for an error event sent back and `ws.close_code`. Message bodies are never
recorded. A refused message (a `ClientError` or `ApplicationError`: the client's mistake, like
an HTTP 4xx) leaves the status unset; any other exception sets status ERROR and is recorded.

With tracing off every hook returns `OFF`, a shared no-op: one check of a module global.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext, SpanKind, Tracer

SCOPE_NAME: Final = "studymate_api.observability.websocket"
_CONNECT_CONTEXT_ATTRIBUTE: Final = "_otel_connect_span_context"

_tracer: Tracer | None = None


def enable_websocket_tracing() -> None:
    """Called once by `tracing.configure_tracing`, after the provider is installed."""
    global _tracer
    from opentelemetry import trace

    _tracer = trace.get_tracer(SCOPE_NAME)


class SocketSpan:
    """A span around one piece of a socket's work, used as a context manager (it is current
    inside, so log lines, queries and published tasks belong to it)."""

    __slots__ = ("_manager", "_span")

    def __init__(self, manager: AbstractContextManager[Span]) -> None:
        self._manager = manager
        self._span: Span | None = None

    def __enter__(self) -> SocketSpan:
        self._span = self._manager.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        # An exception escaping the block is recorded and sets status ERROR (the tracer's
        # `record_exception` and `set_status_on_exception`).
        return self._manager.__exit__(exc_type, exc, tb)

    @property
    def span(self) -> Span:
        assert self._span is not None, "used outside its with block"
        return self._span

    def message_type(self, kind: object, known: frozenset[str]) -> None:
        """Names the span after the message's type, when it is one of the consumer's (a name
        taken from anything a client sends would make span names unbounded)."""
        if isinstance(kind, str) and kind in known:
            self.span.update_name(f"ws.receive {kind}")
            self.span.set_attribute("ws.message_type", kind)

    def refused(self, code: str) -> None:
        """The client got an error event `code`: its mistake, not the server's."""
        self.span.set_attribute("ws.error_code", code)

    def failed(self, error: BaseException, code: str = "internal_error") -> None:
        """The handler raised something unexpected (caught, so the socket stays open)."""
        from opentelemetry.trace import Status, StatusCode

        self.span.set_attribute("ws.error_code", code)
        self.span.record_exception(error)
        self.span.set_status(Status(StatusCode.ERROR, type(error).__name__))

    def closed(self, code: int) -> None:
        self.span.set_attribute("ws.close_code", code)


class _OffSpan(SocketSpan):
    """Tracing off: every method does nothing."""

    __slots__ = ()

    def __init__(self) -> None:
        pass

    def __enter__(self) -> SocketSpan:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def message_type(self, kind: object, known: frozenset[str]) -> None:
        pass

    def refused(self, code: str) -> None:
        pass

    def failed(self, error: BaseException, code: str = "internal_error") -> None:
        pass

    def closed(self, code: int) -> None:
        pass


OFF: Final[SocketSpan] = _OffSpan()


def connect_span(consumer: Any) -> SocketSpan:
    """`ws.connect`: call after the socket's request id is bound."""
    if _tracer is None:
        return OFF
    from opentelemetry import propagate, trace

    parent = propagate.extract(_handshake_headers(consumer.scope))
    manager = _tracer.start_as_current_span(
        "ws.connect",
        context=parent,
        kind=trace.SpanKind.SERVER,
        attributes=_attributes(consumer),
    )
    return _ConnectSpan(manager, consumer)


def receive_span(consumer: Any) -> SocketSpan:
    """`ws.receive <type>`: one message from the client."""
    if _tracer is None:
        return OFF
    from opentelemetry.trace import SpanKind

    return _linked_span(_tracer, consumer, "ws.receive", SpanKind.SERVER)


def disconnect_span(consumer: Any, code: int) -> SocketSpan:
    """`ws.disconnect`: the socket is gone (`code`: the close code)."""
    if _tracer is None:
        return OFF
    from opentelemetry.trace import SpanKind

    return _linked_span(_tracer, consumer, "ws.disconnect", SpanKind.INTERNAL, close_code=code)


class _ConnectSpan(SocketSpan):
    """Remembers its span context on the consumer: the socket's later spans link to it."""

    __slots__ = ("_consumer",)

    def __init__(self, manager: AbstractContextManager[Span], consumer: Any) -> None:
        super().__init__(manager)
        self._consumer = consumer

    def __enter__(self) -> SocketSpan:
        super().__enter__()
        setattr(self._consumer, _CONNECT_CONTEXT_ATTRIBUTE, self.span.get_span_context())
        return self


def _linked_span(
    tracer: Tracer, consumer: Any, name: str, kind: SpanKind, close_code: int | None = None
) -> SocketSpan:
    from opentelemetry import context, trace

    connected: SpanContext | None = getattr(consumer, _CONNECT_CONTEXT_ATTRIBUTE, None)
    links = [trace.Link(connected)] if connected is not None and connected.is_valid else []
    attributes = _attributes(consumer)
    if close_code is not None:
        attributes["ws.close_code"] = close_code
    manager = tracer.start_as_current_span(
        name,
        context=context.Context(),  # a root: a trace per message, not one per socket
        kind=kind,
        links=links,
        attributes=attributes,
    )
    return SocketSpan(manager)


def _attributes(consumer: Any) -> dict[str, str | int]:
    scope: Mapping[str, Any] = consumer.scope
    attributes: dict[str, str | int] = {
        "ws.consumer": type(consumer).__name__,
        "ws.route": consumer.route,
        "url.path": str(scope.get("path", "")),
    }
    request_id = getattr(consumer, "request_id", None)
    if isinstance(request_id, str):
        attributes["studymate.request_id"] = request_id
    user: Any = getattr(consumer, "user", None) or scope.get("user")
    if getattr(user, "is_authenticated", False):
        attributes["enduser.id"] = str(user.pk)
    return attributes


def _handshake_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """The headers a propagator reads (`traceparent`, `tracestate`, `baggage`)."""
    return dict(_propagation_headers(scope.get("headers") or ()))


def _propagation_headers(headers: Any) -> Iterator[tuple[str, str]]:
    for name, value in headers:
        key = bytes(name).decode("latin-1").lower()
        if key in ("traceparent", "tracestate", "baggage"):
            yield key, bytes(value).decode("latin-1")
