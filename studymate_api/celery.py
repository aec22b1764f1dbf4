"""The Celery application. Tasks live in each app's `tasks.py` and are found automatically."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

app = Celery("studymate_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from studymate_api.observability.task_context import connect_task_signals  # noqa: E402
from studymate_api.observability.tracing import connect_worker_tracing  # noqa: E402

# The request id travels in task headers; tracing starts in each worker process (when set).
connect_task_signals()
connect_worker_tracing()
