"""Carries the request id from the code that enqueues a Celery task into the worker running it,
and keeps the worker's log lines structured like the web's.

The publisher puts the id bound at that moment into the message headers; the worker binds it
for the task's log lines and restores the previous context afterwards (a worker process runs
many tasks, and an eager task runs inside the request that enqueued it).
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from .request_id import LOG_KEY, current_request_id

HEADER_KEY = "studymate_request_id"
_TOKENS_ATTRIBUTE = "_studymate_request_id_tokens"


def put_request_id_in_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id is not None:
        headers.setdefault(HEADER_KEY, request_id)


def bind_task_request_id(task: Task[Any, Any] | None = None, **_: Any) -> None:
    if task is None:
        return
    request_id = getattr(task.request, HEADER_KEY, None)
    if not isinstance(request_id, str):
        return  # eager, or enqueued outside a request: keep whatever is bound
    tokens = structlog.contextvars.bind_contextvars(**{LOG_KEY: request_id})
    setattr(task.request, _TOKENS_ATTRIBUTE, tokens)


def unbind_task_request_id(task: Task[Any, Any] | None = None, **_: Any) -> None:
    tokens = getattr(task.request, _TOKENS_ATTRIBUTE, None) if task is not None else None
    if tokens:
        structlog.contextvars.reset_contextvars(**tokens)


def keep_django_logging(**_: Any) -> None:
    """A worker would replace the root logger's handlers with its own plain-text ones; with a
    receiver on `setup_logging` it leaves logging alone, and Django's LOGGING (structlog, JSON
    in production) applies to the worker's lines as to the web's."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_task_signals() -> None:
    """Idempotent: signals keyed by `dispatch_uid` connect once however often this runs."""
    before_task_publish.connect(
        put_request_id_in_headers, weak=False, dispatch_uid="studymate_request_id_publish"
    )
    task_prerun.connect(bind_task_request_id, weak=False, dispatch_uid="studymate_request_id_pre")
    task_postrun.connect(
        unbind_task_request_id, weak=False, dispatch_uid="studymate_request_id_post"
    )
    setup_logging.connect(keep_django_logging, weak=False, dispatch_uid="studymate_logging")
