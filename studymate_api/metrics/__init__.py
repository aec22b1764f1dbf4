"""Platform metrics: Prometheus exposition, event tracking, batched flush to aggregates.

What other code calls:

- `track_event(name, user=None, **props)`: one business event, buffered, never raises.
- `record_ai_call(provider, model, prompt_tokens, completion_tokens, cost_usd, latency_seconds,
  outcome)`: the AI gateway, after every model call.
- `websocket_connected(route)` / `websocket_disconnected(route)`: the realtime consumers.
- `register_collector(collector)`: a prometheus_client collector computed at scrape time.

Celery tasks are instrumented through Celery's signals; HTTP, database and cache through
django-prometheus. The flush steps live in `studymate_api.metrics.flush`, the staff reports in
`studymate_api.metrics.reports`. Importing this package touches no model, so it is safe before
the app registry is ready.
"""

from . import celery_signals, tasks  # noqa: F401  (signal receivers and the Celery task)
from .events import track_event
from .recorders import record_ai_call, websocket_connected, websocket_disconnected
from .registry import register_collector

__all__ = [
    "record_ai_call",
    "register_collector",
    "track_event",
    "websocket_connected",
    "websocket_disconnected",
]
