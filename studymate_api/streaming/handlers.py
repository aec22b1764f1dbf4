"""Batch handlers: the type, running them, adapting per-message functions."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import structlog

from . import instruments
from .records import StreamMessage

logger = structlog.get_logger(__name__)

Handler = Callable[[Sequence[StreamMessage]], object]
"""Takes a batch; returning means every message was handled, raising means none was."""

_ERROR_LIMIT = 2_000


def run_handlers(
    stream: str, group: str, handlers: Sequence[Handler], batch: tuple[StreamMessage, ...]
) -> str | None:
    """None when every handler returned, else the error text. Only Exceptions count as a
    failure: a BaseException (interrupt, exit) propagates and acknowledges nothing."""
    started = time.perf_counter()
    try:
        for handler in handlers:
            handler(batch)
    except Exception as error:
        logger.warning(
            "stream_handler_failed",
            stream=stream,
            group=group,
            ids=[message.id for message in batch[:20]],
            exc_info=True,
        )
        return f"{type(error).__name__}: {error}"[:_ERROR_LIMIT]
    finally:
        instruments.BATCH_SECONDS.labels(stream, group).observe(time.perf_counter() - started)
    return None


def each_message(handler: Callable[[StreamMessage], object]) -> Handler:
    """Adapt a per-message handler to a batch handler (a failure fails the rest of the batch,
    which is then retried one message at a time)."""

    def handle_batch(batch: Sequence[StreamMessage]) -> None:
        for message in batch:
            handler(message)

    return handle_batch
