"""Enqueueing a task for a row that a periodic sweep also enqueues while it stays pending."""

from __future__ import annotations

from typing import Any

import structlog
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = structlog.get_logger(__name__)


def enqueue_or_leave_pending(
    task: Any, object_id: int, *, failure_event: str, **fields: Any
) -> None:
    """Sends `task(object_id)`. With the broker down the caller's request still succeeds: the row
    stays pending, and its app's requeue sweep sends the task again once the broker is back (the
    task's claim makes a second send harmless). The failure is logged as `failure_event`."""
    try:
        task.delay(object_id)
    except BrokerUnavailable:
        logger.exception(failure_event, **fields)
