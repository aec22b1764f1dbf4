"""Typed views of the AI settings (studymate_api/settings/ai.py), read at call time so tests and
`override_settings` take effect without restarting anything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.conf import settings

logger = structlog.get_logger(__name__)

LOCAL = "local"
REMOTE_PROVIDERS = ("openai", "anthropic", "together")
PROVIDERS = (*REMOTE_PROVIDERS, LOCAL)


@dataclass(frozen=True)
class RemoteConfig:
    name: str
    api_key: str
    base_url: str
    model: str
    timeout: float
    max_tokens: int


@dataclass(frozen=True)
class GatewayConfig:
    fallback_order: tuple[str, ...]
    max_attempts: int
    backoff: float
    backoff_max: float
    breaker_threshold: int
    breaker_cooldown: float
    daily_request_limit: int
    max_input_chars: int


def remote_config(name: str) -> RemoteConfig:
    values = settings.AI_PROVIDERS[name]
    return RemoteConfig(
        name=name,
        api_key=str(values.get("API_KEY") or ""),
        base_url=str(values["BASE_URL"]),
        model=str(values["MODEL"]),
        timeout=float(values["TIMEOUT"]),
        max_tokens=int(values["MAX_TOKENS"]),
    )


def local_model() -> str:
    return str(settings.AI_PROVIDERS[LOCAL]["MODEL"])


def is_enabled(name: str) -> bool:
    return name == LOCAL or bool(settings.AI_PROVIDERS.get(name, {}).get("API_KEY"))


def gateway_config() -> GatewayConfig:
    return GatewayConfig(
        fallback_order=tuple(settings.AI_FALLBACK_ORDER),
        max_attempts=int(settings.AI_MAX_ATTEMPTS),
        backoff=float(settings.AI_RETRY_BACKOFF),
        backoff_max=float(settings.AI_RETRY_BACKOFF_MAX),
        breaker_threshold=int(settings.AI_BREAKER_THRESHOLD),
        breaker_cooldown=float(settings.AI_BREAKER_COOLDOWN),
        daily_request_limit=int(settings.AI_DAILY_REQUEST_LIMIT),
        max_input_chars=int(settings.AI_MAX_INPUT_CHARS),
    )


def model_price(model: str) -> tuple[Decimal, Decimal]:
    """US dollars per million (input, output) tokens; zero, logged, for an unlisted model."""
    prices: dict[str, tuple[Decimal, Decimal]] = settings.AI_MODEL_PRICES
    if model not in prices:
        logger.warning("ai_model_price_missing", model=model)
        return Decimal(0), Decimal(0)
    return prices[model]
