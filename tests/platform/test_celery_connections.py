"""A Celery worker keeps its PostgreSQL connection from one task to the next (CELERY_DB_REUSE_MAX
and `studymate_api.celery.release_database_connections`), and drops one that broke.

Celery's Django fixup and our handler run as a prefork worker runs them around each task: the
fixup's prerun and postrun, then ours."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup  # type: ignore[attr-defined]
from celery.signals import task_postrun
from django.conf import settings
from django.db import OperationalError, connection, connections

from studymate_api.celery import app

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs DATABASE_URL (a PostgreSQL pool)"
    ),
]


@pytest.fixture
def worker_fixup() -> Iterator[DjangoWorkerFixup]:
    """Celery's fixup as a prefork worker installs it (its handlers are called directly)."""
    fixup = DjangoWorkerFixup(app)
    fixup.worker = SimpleNamespace(pool_cls="celery.concurrency.prefork:TaskPool")
    yield fixup
    connections.close_all()


@app.task(name="tests.platform.celery_connections.noop")
def noop() -> None:
    """A task object to send the signals for (not called: its request is not eager)."""


def run_task(fixup: DjangoWorkerFixup) -> int:
    """One task's life in a worker; the task reads its backend's process id."""
    task = noop
    fixup.on_task_prerun(sender=task)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task)
    return pid


def test_the_reuse_budget_is_configured() -> None:
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX
    assert settings.CELERY_DB_REUSE_MAX is not None
    assert settings.CELERY_DB_REUSE_MAX >= 100


def test_two_tasks_share_one_connection(worker_fixup: DjangoWorkerFixup) -> None:
    run_task(worker_fixup)
    pool = connection.pool  # type: ignore[attr-defined]  # PostgreSQL's wrapper
    opened = pool.get_stats()["connections_num"]
    # Between tasks the connection is back in the pool, not held by the task's thread.
    assert connection.connection is None
    run_task(worker_fixup)
    run_task(worker_fixup)
    # The same pool, and no connection opened for the later tasks.
    assert connection.pool is pool  # type: ignore[attr-defined]
    assert pool.get_stats()["connections_num"] == opened


def test_a_connection_that_broke_during_a_task_is_dropped(worker_fixup: DjangoWorkerFixup) -> None:
    run_task(worker_fixup)
    task = noop
    worker_fixup.on_task_prerun(sender=task)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        broken = int(cursor.fetchone()[0])
    _terminate(broken)
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    worker_fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task)
    # The next tasks work, and never on the broken connection.
    assert broken not in {run_task(worker_fixup) for _ in range(3)}


def _terminate(pid: int) -> None:
    import psycopg

    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
