"""The platform's own Prometheus instruments (django-prometheus supplies HTTP, database, cache).

Every gauge names its multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, each process writes
its values to a file there and the scrape sums them; `livesum` forgets processes that have exited.
Label values come from code (task, route, provider names), never from user input.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_NS = "studymate"

_SHORT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
_AI_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

# --- Celery -----------------------------------------------------------------------------------

CELERY_TASKS = Counter(
    "celery_tasks",
    "Celery tasks finished, by task and final state.",
    ["task", "state"],
    namespace=_NS,
)
CELERY_TASK_DURATION = Histogram(
    "celery_task_duration_seconds",
    "Run time of Celery tasks, by task and final state.",
    ["task", "state"],
    namespace=_NS,
    buckets=_TASK_BUCKETS,
)
CELERY_TASK_FAILURES = Counter(
    "celery_task_failures",
    "Celery tasks that raised, by task and exception type.",
    ["task", "exception"],
    namespace=_NS,
)
CELERY_TASKS_RUNNING = Gauge(
    "celery_tasks_running",
    "Celery tasks running now.",
    ["task"],
    namespace=_NS,
    multiprocess_mode="livesum",
)

# --- WebSockets -------------------------------------------------------------------------------

WEBSOCKET_CONNECTIONS = Gauge(
    "websocket_connections",
    "Open WebSocket connections, by route.",
    ["route"],
    namespace=_NS,
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTIONS_OPENED = Counter(
    "websocket_connections_opened",
    "WebSocket connections accepted, by route.",
    ["route"],
    namespace=_NS,
)

# --- AI ---------------------------------------------------------------------------------------

AI_CALLS = Counter(
    "ai_calls",
    "AI model calls, by provider, model and outcome.",
    ["provider", "model", "outcome"],
    namespace=_NS,
)
AI_CALL_FAILURES = Counter(
    "ai_call_failures",
    "AI model calls whose outcome was not `success`.",
    ["provider", "model"],
    namespace=_NS,
)
AI_TOKENS = Counter(
    "ai_tokens",
    "Tokens used by AI calls, by provider, model and kind (prompt or completion).",
    ["provider", "model", "kind"],
    namespace=_NS,
)
AI_COST = Counter(
    "ai_cost_usd", "Cost of AI calls in US dollars.", ["provider", "model"], namespace=_NS
)
AI_LATENCY = Histogram(
    "ai_call_duration_seconds",
    "Latency of AI calls.",
    ["provider", "model"],
    namespace=_NS,
    buckets=_AI_BUCKETS,
)

# --- tracked events (business counters) -------------------------------------------------------

EVENTS_TRACKED = Counter(
    "events_tracked", "Business events accepted by track_event, by name.", ["event"], namespace=_NS
)
EVENTS_DROPPED = Counter(
    "events_dropped",
    "Events not buffered (buffer unavailable or full, invalid name or data), by reason.",
    ["reason"],
    namespace=_NS,
)
EVENTS_FLUSHED = Counter(
    "events_flushed", "Buffered events written to the aggregate tables.", namespace=_NS
)
EVENT_BATCHES = Counter(
    "event_batches",
    "Event batches handled by the flush: `applied`, or `duplicate` when a batch committed before "
    "a crash was found again.",
    ["outcome"],
    namespace=_NS,
)
EVENT_FLUSH_DURATION = Histogram(
    "event_flush_duration_seconds",
    "Time to apply one batch of events to the aggregates.",
    namespace=_NS,
    buckets=_SHORT_BUCKETS,
)
