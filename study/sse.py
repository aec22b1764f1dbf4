"""Server-sent events: message framing and a response that really streams under ASGI and WSGI.

Django buffers a synchronous iterator whole when it serves it over ASGI, so under daphne the
blocking producer (database, model calls) runs in a thread of its own and hands its messages to
an asynchronous iterator. That thread also finishes the work if the client goes away, and closes
its own database connections at the end. Under WSGI (and Django's test client) the producer is
served directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.http import HttpRequest, StreamingHttpResponse

logger = structlog.get_logger(__name__)

CONTENT_TYPE = "text/event-stream; charset=utf-8"


def sse_message(event: str, data: Any, *, event_id: int | None = None) -> bytes:
    """One event; `data` as one line of JSON, so newlines in text cannot break the framing.
    With `event_id`, the `id:` a reconnecting client sends back as `Last-Event-ID`."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    id_line = "" if event_id is None else f"id: {event_id}\n"
    return f"{id_line}event: {event}\ndata: {payload}\n\n".encode()


def sse_retry(milliseconds: int) -> bytes:
    """How long a client waits before reconnecting; dispatches no event."""
    return f"retry: {milliseconds}\n\n".encode()


def event_stream_response(request: HttpRequest, messages: Iterator[bytes]) -> StreamingHttpResponse:
    content = _from_thread(messages) if isinstance(request, ASGIRequest) else messages
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-cache"
    # nginx and similar proxies would otherwise hold the events back.
    response["X-Accel-Buffering"] = "no"
    return response


async def _from_thread(messages: Iterator[bytes]) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    def put(item: bytes | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens any more
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        try:
            for message in messages:
                put(message)
        except Exception:
            logger.exception("event_stream_failed")
            put(sse_message("error", {"code": "server_error", "message": "stream failed"}))
        finally:
            connections.close_all()
            put(None)

    threading.Thread(target=produce, name="sse-producer", daemon=True).start()
    while (message := await queue.get()) is not None:
        yield message
