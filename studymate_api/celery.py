"""The Celery application. Tasks live in each app's `tasks.py` and are found automatically."""

import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import task_postrun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

app = Celery("studymate_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from studymate_api.heartbeat import process_heartbeat  # noqa: E402
from studymate_api.observability.task_context import connect_task_signals  # noqa: E402
from studymate_api.observability.tracing import connect_worker_tracing  # noqa: E402

# The request id travels in task headers; tracing starts in each worker process (when set).
connect_task_signals()
connect_worker_tracing()


@task_postrun.connect
def release_database_connections(sender: Any = None, **_: Any) -> None:
    """After a task, what the end of a request does: a healthy connection goes back to the pool
    (kept open for the next task; CELERY_DB_REUSE_MAX stops Celery's fixup from closing the
    pool), one whose errors left it unusable is closed. Eager tasks run inside their caller's
    request or transaction, which owns the connection."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Touches the worker's heartbeat from the consumer's timer. Under prefork (and solo) with
    the Redis broker that timer is the event loop's, turned by the same loop that receives tasks
    and hears from the pool: the file goes stale when that loop wedges, and while the consumer
    is stopped or reconnecting to the broker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.entry: Any = None

    def start(self, parent: Any) -> None:
        heartbeat = process_heartbeat("worker")
        heartbeat.touch()
        self.entry = parent.timer.call_repeatedly(heartbeat.every, heartbeat.touch)

    def stop(self, parent: Any) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


app.steps["consumer"].add(WorkerHeartbeat)
