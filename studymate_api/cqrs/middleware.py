"""The middleware every dispatch goes through, outermost first.

Commands: logging, timing, permission, transaction. Queries: the same without the transaction.
The permission check comes before the transaction so a refusal never opens one, and timing wraps
the commit so slow commits show up in the handler's timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from django.db import transaction

from studymate_api.core.errors import ApplicationError

from .context import Context, Middleware
from .messages import Message
from .stats import bus_stats

__all__ = [
    "COMMAND_MIDDLEWARE",
    "QUERY_MIDDLEWARE",
    "logging_middleware",
    "permission_middleware",
    "timing_middleware",
    "transaction_middleware",
]

logger = structlog.get_logger(__name__)


def logging_middleware(
    message: Message[Any], context: Context, call_next: Callable[[], Any]
) -> Any:
    """One line per dispatch; log lines written by the handler carry the message name too."""
    user_id = getattr(context.user, "pk", None)
    with structlog.contextvars.bound_contextvars(cqrs_message=context.message_name):
        started = time.perf_counter()
        try:
            result = call_next()
        except ApplicationError as error:
            logger.info(f"cqrs.{context.kind}.rejected", user_id=user_id, code=error.code)
            raise
        except Exception:
            logger.exception(f"cqrs.{context.kind}.failed", user_id=user_id)
            raise
        log = logger.info if context.kind == "command" else logger.debug
        log(
            f"cqrs.{context.kind}.handled",
            user_id=user_id,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            events=len(context.events),
        )
        return result


def timing_middleware(message: Message[Any], context: Context, call_next: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    outcome = "error"
    try:
        result = call_next()
        outcome = "ok"
        return result
    except ApplicationError:
        outcome = "rejected"
        raise
    finally:
        seconds = time.perf_counter() - started
        bus_stats.observe(context.kind, context.message_name, seconds, outcome=outcome)


def permission_middleware(
    message: Message[Any], context: Context, call_next: Callable[[], Any]
) -> Any:
    if not message.permits(context.user):
        raise message.denied_as()
    return call_next()


def transaction_middleware(
    message: Message[Any], context: Context, call_next: Callable[[], Any]
) -> Any:
    """The handler's writes and the events it records commit together or not at all."""
    with transaction.atomic():
        return call_next()


COMMAND_MIDDLEWARE: tuple[Middleware, ...] = (
    logging_middleware,
    timing_middleware,
    permission_middleware,
    transaction_middleware,
)
QUERY_MIDDLEWARE: tuple[Middleware, ...] = (
    logging_middleware,
    timing_middleware,
    permission_middleware,
)
