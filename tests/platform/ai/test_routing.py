"""Retries, fallbacks and refusals, as the stand-ins saw them and as AIUsage recorded them."""

from __future__ import annotations

import time

import pytest

from studymate_api.ai import (
    AIRequestRejected,
    AIResult,
    AITask,
    AIUnavailable,
    GenerateOptions,
    TextInput,
    enabled_providers,
    generate,
    generate_stream,
)
from studymate_api.core.errors import ValidationFailed
from studymate_api.core.models import AIUsage
from tests.platform.ai.texts import EN

pytestmark = pytest.mark.django_db

ANSWER = "Plants make glucose from light."


def _outcomes() -> list[tuple[str, str]]:
    return list(AIUsage.objects.order_by("id").values_list("provider", "outcome"))


def test_a_500_is_retried_on_the_same_provider(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.error(500), openai_api.completion(ANSWER))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.text, result.provider, result.attempts, result.fallback) == (
        ANSWER,
        "openai",
        2,
        False,
    )
    assert len(openai_api.requests) == 2
    assert anthropic_api.requests == []
    assert _outcomes() == [("openai", "error"), ("openai", "success")]
    assert AIUsage.objects.earliest("id").error.startswith("HTTP 500")


def test_retries_stop_after_max_attempts_then_fall_back(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.error(503), openai_api.error(502))
    anthropic_api.enqueue(anthropic_api.message(ANSWER))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.provider, result.fallback, result.attempts) == ("anthropic", True, 3)
    assert len(openai_api.requests) == 2  # AI_MAX_ATTEMPTS
    assert _outcomes() == [("openai", "error"), ("openai", "error"), ("anthropic", "fallback")]


def test_a_timeout_falls_back_to_the_next_provider(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api, timeout=0.3)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.completion("too late", delay=3))
    anthropic_api.enqueue(anthropic_api.message(ANSWER))

    started = time.monotonic()
    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert time.monotonic() - started < 2
    assert (result.text, result.provider, result.fallback) == (ANSWER, "anthropic", True)
    # A timeout is not retried on the provider that timed out.
    assert len(openai_api.requests) == 1
    assert _outcomes() == [("openai", "timeout"), ("anthropic", "fallback")]
    assert 250 <= AIUsage.objects.earliest("id").latency_ms < 2000


def test_a_400_is_neither_retried_nor_sent_elsewhere(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.error(400, "maximum context length exceeded", kind="invalid"))

    with pytest.raises(AIRequestRejected) as caught:
        generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (caught.value.code, caught.value.http_status) == ("ai_request_rejected", 422)
    assert len(openai_api.requests) == 1
    assert anthropic_api.requests == []
    assert _outcomes() == [("openai", "error")]
    assert "maximum context length" in AIUsage.objects.get().error


def test_an_auth_error_falls_back_without_retry(enable, openai_api, together_api, user):
    enable("openai", openai_api, key="sk-revoked")
    enable("together", together_api)
    together_api.enqueue(together_api.completion(ANSWER))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.provider, result.fallback) == ("together", True)
    assert len(openai_api.requests) == 1
    assert _outcomes() == [("openai", "error"), ("together", "fallback")]


def test_a_rate_limit_falls_back_at_once(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.error(429, "Rate limit reached", kind="rate_limit"))
    anthropic_api.enqueue(anthropic_api.message(ANSWER))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert result.provider == "anthropic"
    assert len(openai_api.requests) == 1
    assert _outcomes() == [("openai", "rate_limited"), ("anthropic", "fallback")]


def test_local_answers_when_every_remote_provider_fails(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.default = openai_api.error(500)
    anthropic_api.default = anthropic_api.error(529, "Overloaded", kind="overloaded_error")

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.provider, result.fallback) == ("local", True)
    assert result.text.startswith("Photosynthesis is the process")
    assert _outcomes()[-1] == ("local", "fallback")


def test_without_fallback_a_failure_is_unavailable(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.default = openai_api.error(500)

    with pytest.raises(AIUnavailable) as caught:
        generate(
            AITask.SUMMARY_BRIEF, TextInput(EN), user=user, options=GenerateOptions(fallback=False)
        )

    assert (caught.value.code, caught.value.http_status) == ("ai_unavailable", 503)
    assert _outcomes() == [("openai", "error"), ("openai", "error")]


def test_route_puts_the_preferred_provider_first_and_local_last(
    enable, openai_api, together_api, settings
):
    enable("openai", openai_api)
    enable("together", together_api)
    settings.AI_FALLBACK_ORDER = ["local", "together", "openai"]

    assert enabled_providers() == ["together", "openai", "local"]
    together_api.enqueue(together_api.completion(ANSWER))
    # A preference for a provider without a key is served by the fallback order.
    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), options=GenerateOptions("anthropic"))
    assert result.provider == "together"


def test_an_unknown_provider_is_a_validation_error():
    with pytest.raises(ValidationFailed) as caught:
        generate(AITask.SUMMARY_BRIEF, TextInput(EN), options=GenerateOptions("gpt-9"))

    assert caught.value.as_payload()["error"]["fields"].keys() == {"provider"}


def test_a_stream_falls_back_before_its_first_piece(enable, openai_api, anthropic_api, user):
    enable("openai", openai_api)
    enable("anthropic", anthropic_api)
    openai_api.enqueue(openai_api.error(500), openai_api.error(500))
    anthropic_api.enqueue(anthropic_api.stream(["Light ", "is captured."]))

    items = list(generate_stream(AITask.SUMMARY_BRIEF, TextInput(EN), user=user))

    assert items[:-1] == ["Light ", "is captured."]
    assert isinstance(items[-1], AIResult)
    assert (items[-1].provider, items[-1].fallback) == ("anthropic", True)
    assert _outcomes() == [("openai", "error"), ("openai", "error"), ("anthropic", "fallback")]


def test_a_stream_failing_midway_is_unavailable(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    anthropic_api.enqueue(anthropic_api.stream(["Light ", "is ", "captured."], fail_after=2))

    stream = generate_stream(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    received = [next(stream), next(stream)]
    with pytest.raises(AIUnavailable):
        next(stream)

    assert received == ["Light ", "is "]
    assert _outcomes() == [("anthropic", "error")]
    row = AIUsage.objects.get()
    assert "overloaded" in row.error.lower()
    assert row.completion_tokens > 0  # estimated from what was received


def test_an_abandoned_stream_is_accounted(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.enqueue(openai_api.stream(["one ", "two ", "three"]))

    stream = generate_stream(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    assert next(stream) == "one "
    stream.close()

    row = AIUsage.objects.get()
    assert (row.provider, row.outcome, row.error) == (
        "openai",
        "error",
        "stream abandoned by the consumer",
    )
