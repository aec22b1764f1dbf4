"""Functions other parts of the platform call to report what they did: the realtime consumers
(WebSocket connections) and the AI gateway (model calls). Like `track_event`, they never raise."""

from __future__ import annotations

import re
from decimal import Decimal

import structlog

from .instruments import (
    AI_CALL_FAILURES,
    AI_CALLS,
    AI_COST,
    AI_LATENCY,
    AI_TOKENS,
    WEBSOCKET_CONNECTIONS,
    WEBSOCKET_CONNECTIONS_OPENED,
)

logger = structlog.get_logger(__name__)

AI_SUCCESS = "success"
_LABEL = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")


def websocket_connected(route: str) -> None:
    """Call once a consumer has accepted a connection, e.g. `websocket_connected("study_room")`.
    Pair it with exactly one `websocket_disconnected(route)` for the same route."""
    try:
        WEBSOCKET_CONNECTIONS.labels(route=_label(route)).inc()
        WEBSOCKET_CONNECTIONS_OPENED.labels(route=_label(route)).inc()
    except Exception:
        logger.exception("metrics_websocket_record_failed", route=route)


def websocket_disconnected(route: str) -> None:
    try:
        WEBSOCKET_CONNECTIONS.labels(route=_label(route)).dec()
    except Exception:
        logger.exception("metrics_websocket_record_failed", route=route)


def record_ai_call(
    provider: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: Decimal | float,
    latency_seconds: float,
    outcome: str,
) -> None:
    """One AI model call as the gateway saw it, successful or not.

    `outcome` is `"success"` or the gateway's name for the failure (`"error"`, `"timeout"`,
    `"rate_limited"`, ...); anything else counts as a failure. Exported to Prometheus only: the
    business report counts AI calls from the AI usage rows (`studymate_api.ai.accounting`).
    """
    try:
        provider, model, outcome = _label(provider), _label(model), _label(outcome)
        prompt, completion = max(0, int(prompt_tokens)), max(0, int(completion_tokens))
        cost = max(Decimal(0), Decimal(str(cost_usd)))
        latency = max(0.0, float(latency_seconds))
        _export(provider, model, outcome, prompt, completion, cost, latency)
    except Exception:
        logger.exception("metrics_ai_call_record_failed", provider=provider, model=model)


def _export(
    provider: str,
    model: str,
    outcome: str,
    prompt: int,
    completion: int,
    cost: Decimal,
    latency: float,
) -> None:
    AI_CALLS.labels(provider=provider, model=model, outcome=outcome).inc()
    if outcome != AI_SUCCESS:
        AI_CALL_FAILURES.labels(provider=provider, model=model).inc()
    AI_TOKENS.labels(provider=provider, model=model, kind="prompt").inc(prompt)
    AI_TOKENS.labels(provider=provider, model=model, kind="completion").inc(completion)
    AI_COST.labels(provider=provider, model=model).inc(float(cost))
    AI_LATENCY.labels(provider=provider, model=model).observe(latency)


def _label(value: str) -> str:
    """Label values are code-defined names; anything odd is folded into one value, so a bug
    upstream cannot flood Prometheus with series."""
    text = str(value)
    return text if _LABEL.match(text) else "other"
