"""Settings of the AI gateway (studymate_api.ai).

A remote provider is enabled iff its API key is set; `local` needs nothing and is always enabled.
Requests go to the caller's provider first, then through AI_FALLBACK_ORDER (enabled providers
only), with `local` always last. Every value is checked here so a bad one stops the start with a
message naming the variable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .environment import env, read_int, read_list

AI_PROVIDER_NAMES = ("openai", "anthropic", "together", "local")


def _read_seconds(variable: str, *, default: float) -> float:
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{variable}: expected seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ImproperlyConfigured(f"{variable}: must be a positive number of seconds")
    return value


def _read_url(variable: str, *, default: str) -> str:
    raw: str = env.str(variable, default="").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"{variable}: expected an http(s):// URL, got {raw!r}")
    return raw.rstrip("/")


def _read_text(variable: str, *, default: str) -> str:
    return str(env.str(variable, default="")).strip() or default


def _remote(prefix: str, *, base_url: str, model: str, timeout: float) -> dict[str, Any]:
    """One remote provider: key and base URL under the SDK's own variable names, the rest as
    AI_<PROVIDER>_*."""
    return {
        "API_KEY": _read_text(f"{prefix}_API_KEY", default=""),
        "BASE_URL": _read_url(f"{prefix}_BASE_URL", default=base_url),
        "MODEL": _read_text(f"AI_{prefix}_MODEL", default=model),
        "TIMEOUT": _read_seconds(f"AI_{prefix}_TIMEOUT", default=timeout),
        # A ceiling per call; each task asks for less (see studymate_api.ai.catalog).
        "MAX_TOKENS": read_int(f"AI_{prefix}_MAX_TOKENS", default=4096, minimum=16),
    }


AI_PROVIDERS: dict[str, dict[str, Any]] = {
    "openai": _remote(
        "OPENAI", base_url="https://api.openai.com/v1", model="gpt-4o-mini", timeout=30.0
    ),
    "anthropic": _remote(
        "ANTHROPIC", base_url="https://api.anthropic.com", model="claude-haiku-4-5", timeout=30.0
    ),
    # The API's origin: its paths start with /v1, which the provider adds (as Together's own SDK
    # did, so a value written for that SDK keeps its meaning).
    "together": _remote(
        "TOGETHER",
        base_url="https://api.together.ai",
        model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
        timeout=30.0,
    ),
    # The offline provider: no key, no network; the model name only labels its usage rows.
    "local": {"MODEL": "local-extractive-1"},
}


def _read_order(variable: str) -> list[str]:
    order = read_list(variable, default=["openai", "anthropic", "together", "local"])
    unknown = [name for name in order if name not in AI_PROVIDER_NAMES]
    if unknown:
        raise ImproperlyConfigured(
            f"{variable}: unknown provider {unknown[0]!r}; expected {', '.join(AI_PROVIDER_NAMES)}"
        )
    return order


AI_FALLBACK_ORDER = _read_order("AI_FALLBACK_ORDER")

# Attempts per provider for a request, counting the first: retried only after 5xx and connection
# errors, with exponential backoff from AI_RETRY_BACKOFF up to AI_RETRY_BACKOFF_MAX seconds.
AI_MAX_ATTEMPTS = read_int("AI_MAX_ATTEMPTS", default=2, minimum=1)
AI_RETRY_BACKOFF = _read_seconds("AI_RETRY_BACKOFF", default=0.5)
AI_RETRY_BACKOFF_MAX = _read_seconds("AI_RETRY_BACKOFF_MAX", default=4.0)

# Circuit breaker per provider, shared by every process through the Django cache: open after
# this many consecutive failed calls, closed again after one successful probe once the
# cool-down has passed.
AI_BREAKER_THRESHOLD = read_int("AI_BREAKER_THRESHOLD", default=5, minimum=1)
AI_BREAKER_COOLDOWN = _read_seconds("AI_BREAKER_COOLDOWN", default=30.0)

# Requests per user and UTC day (each `generate` call is one request however many attempts it
# takes); 0 turns the limit off.
AI_DAILY_REQUEST_LIMIT = read_int("AI_DAILY_REQUEST_LIMIT", default=200, minimum=0)

# Longest learner-supplied input (all parts together) the gateway accepts, in characters.
AI_MAX_INPUT_CHARS = read_int("AI_MAX_INPUT_CHARS", default=100_000, minimum=1000)

# US dollars per million tokens, (input, output): list prices when written; update them with the
# models. A model missing here is accounted at zero cost and logged.
AI_MODEL_PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "claude-haiku-4-5": (Decimal("1.00"), Decimal("5.00")),
    "claude-sonnet-4-5": (Decimal("3.00"), Decimal("15.00")),
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": (Decimal("0.88"), Decimal("0.88")),
    "local-extractive-1": (Decimal("0"), Decimal("0")),
}

# AI usage rows (one per provider attempt) are kept 400 days, then beat deletes them
# (`studymate_api.core.purge_ai_usage`): the business report looks back 365 days at most, so
# the minimum keeps every day it may ask for; the daily limit reads only today.
AI_USAGE_RETENTION_DAYS = read_int("AI_USAGE_RETENTION_DAYS", default=400, minimum=366)
AI_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "core-purge-ai-usage": {
        "task": "studymate_api.core.purge_ai_usage",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
