"""Fixtures for the CQRS tests: the test domain's table, eager Celery, a clean failure plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from django.db import connection

from studymate_api.celery import app as celery_app
from tests.platform.cqrs.domain import Tally, flaky_plan


@pytest.fixture(scope="session")
def _tally_table(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The test domain's table: not part of any installed app, so created here."""
    with django_db_blocker.unblock():
        if Tally._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Tally)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.delete_model(Tally)


@pytest.fixture(autouse=True)
def _cqrs_state(_tally_table: None, django_db_blocker: Any) -> Iterator[None]:
    flaky_plan.reset()
    yield
    flaky_plan.reset()
    # Transactional tests commit for real and Django's flush does not know this table.
    with django_db_blocker.unblock():
        Tally.objects.all().delete()


@pytest.fixture(autouse=True)
def _eager_celery(celery_in_process: None) -> None:
    """Outbox tasks run in the test's process, also when REDIS_URL configures a real broker."""


@pytest.fixture
def no_retry_backoff(settings: Any) -> None:
    settings.CQRS_OUTBOX_RETRY_BACKOFF_SECONDS = 0


@pytest.fixture
def unreachable_broker() -> Iterator[None]:
    """Celery pointed at a closed port, as when Redis is down: enqueueing fails for real."""
    dead = Celery("unreachable-broker", broker="redis://127.0.0.1:9/0", set_as_current=False)
    dead.conf.broker_connection_timeout = 0.5
    dead.set_current()
    yield
    celery_app.set_current()
    dead.close()
