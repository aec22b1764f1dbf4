"""The circuit breaker: it opens after consecutive failures, skips the provider while open, lets
one probe through after the cool-down, and keeps its state in the shared cache."""

from __future__ import annotations

import time

import pytest

from studymate_api.ai import AIRequestRejected, AITask, TextInput, generate
from studymate_api.ai.breaker import CircuitBreaker
from studymate_api.core.models import AIUsage
from tests.platform.ai.texts import EN

pytestmark = pytest.mark.django_db

ANSWER = "Light energy becomes chemical energy."


@pytest.fixture
def failing_openai(enable, openai_api, anthropic_api, ai_settings):
    """OpenAI failing with 500s and a breaker that opens after 2 failures for 0.4 s; Anthropic
    answering."""
    ai_settings.AI_MAX_ATTEMPTS = 1
    ai_settings.AI_BREAKER_THRESHOLD = 2
    ai_settings.AI_BREAKER_COOLDOWN = 0.4
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.default = openai_api.error(500)
    anthropic_api.default = anthropic_api.message(ANSWER)
    return openai_api


def _summarize():
    return generate(AITask.SUMMARY_BRIEF, TextInput(EN))


def test_the_breaker_opens_after_consecutive_failures(failing_openai):
    _summarize()
    assert CircuitBreaker("openai").state() == "closed"
    _summarize()
    assert CircuitBreaker("openai").state() == "open"

    result = _summarize()

    assert result.provider == "anthropic"
    assert len(failing_openai.requests) == 2  # the third request never reached OpenAI
    skipped = AIUsage.objects.filter(provider="openai").latest("id")
    assert (skipped.outcome, skipped.error) == ("rejected", "circuit breaker open")


def test_a_successful_probe_closes_the_breaker(failing_openai):
    _summarize()
    _summarize()
    time.sleep(0.45)
    assert CircuitBreaker("openai").state() == "half_open"
    failing_openai.enqueue(failing_openai.completion(ANSWER))

    assert _summarize().provider == "openai"
    assert CircuitBreaker("openai").state() == "closed"


def test_a_failed_probe_opens_it_again(failing_openai):
    _summarize()
    _summarize()
    time.sleep(0.45)

    assert _summarize().provider == "anthropic"

    assert len(failing_openai.requests) == 3  # the probe
    assert CircuitBreaker("openai").state() == "open"


def test_one_probe_at_a_time(failing_openai):
    _summarize()
    _summarize()
    time.sleep(0.45)

    # Two processes see the same cache: the first takes the probe, the second is refused.
    assert CircuitBreaker("openai").allow() is True
    assert CircuitBreaker("openai").allow() is False


def test_a_success_resets_the_failure_count(failing_openai):
    _summarize()
    failing_openai.enqueue(failing_openai.completion(ANSWER))
    _summarize()
    _summarize()

    assert CircuitBreaker("openai").state() == "closed"


def test_refused_requests_do_not_count_as_provider_failures(failing_openai):
    failing_openai.default = failing_openai.error(422, "bad request", kind="invalid_request_error")

    for _ in range(3):
        with pytest.raises(AIRequestRejected):
            _summarize()

    assert CircuitBreaker("openai").state() == "closed"
