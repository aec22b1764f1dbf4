"""pytest fixtures for the provider stand-ins, for any test folder that talks to the AI gateway.

Import them into a conftest.py (`from tests.standins.fixtures import *`), then:

    def test_generation(ai_isolated, enable, openai_api):
        enable("openai", openai_api)                 # its real SDK now talks to the stand-in
        openai_api.enqueue(openai_api.completion('{"questions": [...]}'))
        ...

`ai_isolated` leaves only the local provider enabled (whatever keys the shell has), with no
backoff sleeps and no daily limit; `enable` turns one provider on, pointed at a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .anthropic_api import AnthropicStandin
from .openai_api import OpenAIStandin
from .together_api import TogetherStandin

__all__ = ["TEST_KEY", "ai_isolated", "anthropic_api", "enable", "openai_api", "together_api"]

TEST_KEY = "sk-standin-test"

Enable = Callable[..., None]
Standin = OpenAIStandin | AnthropicStandin | TogetherStandin


@pytest.fixture
def ai_isolated(settings: Any) -> Any:
    """Only `local` enabled (a developer's real keys must never reach a test), no daily limit,
    no backoff sleeps, a breaker that opens after three failures."""
    settings.AI_PROVIDERS = {
        name: {**config, "API_KEY": ""} for name, config in settings.AI_PROVIDERS.items()
    }
    settings.AI_FALLBACK_ORDER = ["openai", "anthropic", "together", "local"]
    settings.AI_MAX_ATTEMPTS = 2
    settings.AI_RETRY_BACKOFF = 0.0
    settings.AI_RETRY_BACKOFF_MAX = 0.0
    settings.AI_BREAKER_THRESHOLD = 3
    settings.AI_BREAKER_COOLDOWN = 30.0
    settings.AI_DAILY_REQUEST_LIMIT = 0
    return settings


@pytest.fixture
def openai_api() -> Iterator[OpenAIStandin]:
    with OpenAIStandin(api_key=TEST_KEY) as api:
        yield api


@pytest.fixture
def anthropic_api() -> Iterator[AnthropicStandin]:
    with AnthropicStandin(api_key=TEST_KEY) as api:
        yield api


@pytest.fixture
def together_api() -> Iterator[TogetherStandin]:
    with TogetherStandin(api_key=TEST_KEY) as api:
        yield api


@pytest.fixture
def enable(ai_isolated: Any) -> Enable:
    """`enable("openai", openai_api, timeout=0.5, key=...)`: turn the provider on (its key is
    set) with its base URL at the stand-in and the stand-in's model name."""

    def _enable(name: str, standin: Standin, *, timeout: float = 5.0, key: str = TEST_KEY) -> None:
        config = {
            **ai_isolated.AI_PROVIDERS[name],
            "API_KEY": key,
            "BASE_URL": standin.base_url,
            "MODEL": standin.model,
            "TIMEOUT": timeout,
        }
        ai_isolated.AI_PROVIDERS = {**ai_isolated.AI_PROVIDERS, name: config}

    return _enable
