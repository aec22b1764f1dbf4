"""Celery: a Redis broker when REDIS_URL is set, eager in-process execution otherwise."""

from __future__ import annotations

from .accounts import (
    ACCOUNTS_CODES_BEAT_SCHEDULE,
    ACCOUNTS_DATA_EXPORT_BEAT_SCHEDULE,
    ACCOUNTS_DELETION_BEAT_SCHEDULE,
    ACCOUNTS_LOGIN_HISTORY_BEAT_SCHEDULE,
    ACCOUNTS_SIGN_INS_BEAT_SCHEDULE,
    ACCOUNTS_TOKENS_BEAT_SCHEDULE,
)
from .ai import AI_BEAT_SCHEDULE
from .billing import BILLING_BEAT_SCHEDULE
from .cache import REDIS_URL
from .environment import read_bool, read_int
from .notifications import NOTIFICATIONS_BEAT_SCHEDULE
from .observability import HEARTBEAT_INTERVAL_SECONDS
from .personalization import PERSONALIZATION_BEAT_SCHEDULE
from .platform_cqrs import CQRS_BEAT_SCHEDULE
from .platform_idempotency import IDEMPOTENCY_BEAT_SCHEDULE
from .platform_metrics import METRICS_BEAT_SCHEDULE
from .platform_streaming import STREAMING_BEAT_SCHEDULE

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = read_bool("CELERY_TASK_ALWAYS_EAGER", default=REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = read_int("CELERY_TASK_TIME_LIMIT", default=300, minimum=1)
# The soft limit raises inside the task first, leaving a tenth of the budget to clean up.
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT * 9 // 10)
# A pool process using more than this (KiB) is replaced after its current task: bench/mixed_bench.py
# saw the worker grow ~0.3 MB/min under steady load, a pool process at ~145 MB RSS (0 disables).
# Once it has run the offline provider on Korean text it holds the morphological analyzer too
# (+330 MB RSS, +20 MB for the word-frequency lists; README, "The offline provider"): ~500 MB,
# which must not get it replaced after every task (a new one loads the analyzer again, 1.5 s).
# Two of them at this size stay inside the worker pod's memory limit (k8s/base/worker.yaml).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = (
    read_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=640 * 1024) or None
)
# Celery's Django fixup closes the database connections before and after every task and, under
# prefork with a connection pool, the whole pool: each task then opened two new PostgreSQL
# connections (5.6 ms of CPU for a trivial task instead of 2.0). With a reuse budget it does so
# only every CELERY_DB_REUSE_MAX tasks; between tasks `studymate_api.celery` hands the
# connection back to the pool as a request's end does, which drops a broken one (0: the fixup's
# default, a new pool per task).
CELERY_DB_REUSE_MAX = read_int("CELERY_DB_REUSE_MAX", default=1000) or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# Nothing reads a task's result (outcomes are rows: a summary's status, a delivery's state). With
# results kept, every `.delay()` also subscribed to the result backend's channel for the task;
# with Redis down that subscription raised a Redis error, not the broker error the enqueue
# handles, and the request answered 500 after the row was saved (12 of 12 in
# tests/faults/test_task_outage.py). A task that needs its result says so itself.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues after commit must not hang when the broker is down: fail fast, the
# periodic sweeps (outbox, metrics flush) pick the work up once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 2}
CELERY_TIMEZONE = "UTC"
# Beat touches its heartbeat on each tick (studymate_api.beat.HeartbeatScheduler) and, idle,
# would sleep up to 5 minutes between ticks: it wakes at least once per heartbeat interval.
CELERY_BEAT_SCHEDULER = "studymate_api.beat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = HEARTBEAT_INTERVAL_SECONDS
GENERATION_SWEEP_SECONDS = 15.0
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Summaries whose task was never enqueued (broker down) or whose worker died: every
    # GENERATION_SWEEP_SECONDS, so a lost generation runs again within a minute
    # (studymate_api.core.leases).
    "study-requeue-stale-summaries": {
        "task": "study.requeue_stale_summaries",
        "schedule": GENERATION_SWEEP_SECONDS,
        "options": {"expires": GENERATION_SWEEP_SECONDS},
    },
    # AI quizzes likewise.
    "quiz-requeue-stale-generations": {
        "task": "quiz.requeue_stale_generations",
        "schedule": GENERATION_SWEEP_SECONDS,
        "options": {"expires": GENERATION_SWEEP_SECONDS},
    },
    # Live learning sessions idle for 30 minutes end; the others get a clock tick.
    "realtime-sweep-learning-sessions": {
        "task": "realtime.sweep_learning_sessions",
        "schedule": 60.0,
    },
    **ACCOUNTS_CODES_BEAT_SCHEDULE,
    **ACCOUNTS_SIGN_INS_BEAT_SCHEDULE,
    **ACCOUNTS_TOKENS_BEAT_SCHEDULE,
    **ACCOUNTS_LOGIN_HISTORY_BEAT_SCHEDULE,
    **ACCOUNTS_DELETION_BEAT_SCHEDULE,
    **ACCOUNTS_DATA_EXPORT_BEAT_SCHEDULE,
    **CQRS_BEAT_SCHEDULE,
    **IDEMPOTENCY_BEAT_SCHEDULE,
    **METRICS_BEAT_SCHEDULE,
    **STREAMING_BEAT_SCHEDULE,
    **NOTIFICATIONS_BEAT_SCHEDULE,
    **BILLING_BEAT_SCHEDULE,
    **AI_BEAT_SCHEDULE,
    **PERSONALIZATION_BEAT_SCHEDULE,
}
