"""The AI settings read the environment and refuse bad values at start, naming the variable."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

import studymate_api.settings.ai as ai_settings_module


@pytest.fixture
def load(monkeypatch) -> Iterator:
    """load(**env) -> the settings module re-read with those variables set."""

    def _load(**env: str) -> ModuleType:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(ai_settings_module)

    yield _load
    monkeypatch.undo()
    importlib.reload(ai_settings_module)


def test_a_key_enables_its_provider_with_its_base_url(load):
    module = load(OPENAI_API_KEY="sk-1", OPENAI_BASE_URL="http://llm.internal:8080/v1/")

    openai = module.AI_PROVIDERS["openai"]
    assert (openai["API_KEY"], openai["BASE_URL"]) == ("sk-1", "http://llm.internal:8080/v1")


def test_tuning_values_are_read(load):
    module = load(
        AI_FALLBACK_ORDER="anthropic, local",
        AI_ANTHROPIC_TIMEOUT="2.5",
        AI_ANTHROPIC_MODEL="claude-sonnet-4-5",
        AI_DAILY_REQUEST_LIMIT="0",
    )

    assert module.AI_FALLBACK_ORDER == ["anthropic", "local"]
    assert module.AI_PROVIDERS["anthropic"]["TIMEOUT"] == 2.5
    assert module.AI_PROVIDERS["anthropic"]["MODEL"] == "claude-sonnet-4-5"
    assert module.AI_DAILY_REQUEST_LIMIT == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AI_FALLBACK_ORDER", "openai,gemini"),
        ("AI_OPENAI_TIMEOUT", "soon"),
        ("AI_TOGETHER_TIMEOUT", "-1"),
        ("ANTHROPIC_BASE_URL", "ftp://example.com"),
        ("AI_DAILY_REQUEST_LIMIT", "-5"),
        ("AI_BREAKER_COOLDOWN", "0"),
        ("AI_MAX_ATTEMPTS", "0"),
    ],
)
def test_a_bad_value_fails_naming_the_variable(load, variable, value):
    with pytest.raises(ImproperlyConfigured, match=f"^{variable}: "):
        load(**{variable: value})
