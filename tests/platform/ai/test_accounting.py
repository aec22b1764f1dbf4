"""Accounting: AIUsage rows with tokens, cost and latency, the metrics samples, the per-user
daily limit and the credit hook."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from studymate_api.ai import (
    AIResult,
    AITask,
    AIThrottled,
    AIUnavailable,
    CreditRequest,
    GenerateOptions,
    TextInput,
    UsageSummary,
    credits_port,
    generate,
    generate_stream,
)
from studymate_api.core.errors import InsufficientCredits
from studymate_api.core.models import AIUsage
from tests.platform.ai.texts import EN, KO

pytestmark = pytest.mark.django_db

ANSWER = "Light energy becomes chemical energy."


def _calls(provider: str, model: str, outcome: str) -> float:
    labels = {"provider": provider, "model": model, "outcome": outcome}
    return REGISTRY.get_sample_value("studymate_ai_calls_total", labels) or 0.0


def test_a_row_per_attempt_with_cost_from_the_price_table(enable, openai_api, user, settings):
    settings.AI_MODEL_PRICES = {"gpt-4o-mini": (Decimal("0.15"), Decimal("0.60"))}
    enable("openai", openai_api)
    openai_api.enqueue(
        openai_api.error(503),
        openai_api.completion(ANSWER, prompt_tokens=1000, completion_tokens=500),
    )

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    # 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6
    assert result.cost_usd == Decimal("0.00045")
    failed, answered = AIUsage.objects.order_by("id")
    assert failed.request_id == answered.request_id == result.request_id
    assert (failed.outcome, failed.prompt_tokens, failed.cost_usd) == ("error", 0, Decimal(0))
    assert (answered.task, answered.provider, answered.model) == (
        "summary_brief",
        "openai",
        "gpt-4o-mini",
    )
    assert (answered.prompt_tokens, answered.completion_tokens) == (1000, 500)
    assert answered.cost_usd == Decimal("0.00045000")
    assert answered.latency_ms >= 0
    assert answered.user == user


def test_every_attempt_reaches_the_metrics(enable, openai_api, user):
    enable("openai", openai_api)
    before_error = _calls("openai", "gpt-4o-mini", "error")
    before_success = _calls("openai", "gpt-4o-mini", "success")
    openai_api.enqueue(openai_api.error(500), openai_api.completion(ANSWER))

    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert _calls("openai", "gpt-4o-mini", "error") == before_error + 1
    assert _calls("openai", "gpt-4o-mini", "success") == before_success + 1


def test_the_daily_limit_refuses_before_any_provider(
    enable, openai_api, user, other_user, settings
):
    settings.AI_DAILY_REQUEST_LIMIT = 2
    enable("openai", openai_api)
    openai_api.default = openai_api.completion(ANSWER)
    # Yesterday's requests do not count; retries of one request count once.
    AIUsage.objects.create(
        user=user, task="chat", outcome="success", created_at=timezone.now() - timedelta(days=1)
    )
    openai_api.enqueue(openai_api.error(500))
    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    seen = len(openai_api.requests)

    with pytest.raises(AIThrottled) as caught:
        generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    with pytest.raises(AIThrottled):
        generate_stream(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (caught.value.code, caught.value.http_status) == ("throttled", 429)
    assert 0 < int(caught.value.headers["Retry-After"]) <= 86400
    assert len(openai_api.requests) == seen
    rejected = AIUsage.objects.filter(outcome="rejected")
    assert rejected.count() == 2
    assert {r.provider for r in rejected} == {""}
    # Another learner has their own allowance.
    assert generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=other_user).text


class RecordingHook:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.reserved: list[tuple[object, str, Decimal]] = []
        self.settled: list[UsageSummary] = []
        self.requests: list[CreditRequest] = []

    def __call__(self, request):
        self.reserved.append((request.user, request.task, request.estimated_cost_usd))
        self.requests.append(request)
        if self.refuse:
            raise InsufficientCredits()
        return self.settled.append


def test_the_credit_hook_settles_with_the_actual_usage(enable, openai_api, user):
    hook = RecordingHook()
    credits_port.provide(hook)
    enable("openai", openai_api)
    openai_api.enqueue(openai_api.completion(ANSWER, prompt_tokens=2000, completion_tokens=100))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    [(hook_user, task, estimate)] = hook.reserved
    assert (hook_user, task) == (user, "summary_brief")
    assert estimate > 0  # priced for the first provider of the route
    [usage] = hook.settled
    assert usage.succeeded
    assert (usage.provider, usage.model) == ("openai", "gpt-4o-mini")
    assert (usage.prompt_tokens, usage.completion_tokens) == (2000, 100)
    assert usage.cost_usd == result.cost_usd
    assert usage.request_id == result.request_id


def test_the_credit_hook_is_told_the_route_and_the_requests_identity(
    enable, openai_api, user, other_user
):
    hook = RecordingHook()
    credits_port.provide(hook)
    enable("openai", openai_api)
    openai_api.default = openai_api.completion(ANSWER)

    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)
    generate(AITask.SUMMARY_BULLETS, TextInput(EN), user=user)
    generate(AITask.SUMMARY_BRIEF, TextInput(EN + " More."), user=user)
    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=other_user)
    generate(
        AITask.SUMMARY_BRIEF, TextInput(EN), user=user, options=GenerateOptions(provider="local")
    )

    first, again, *others = hook.requests
    assert first.providers == ("openai", "local")
    assert hook.requests[-1].providers == ("local",)
    assert len(first.fingerprint) == 64
    assert again.fingerprint == first.fingerprint
    # Another task, another text, another learner, another provider: another request.
    assert len({first.fingerprint, *(other.fingerprint for other in others)}) == 5


def test_refused_credits_stop_the_request(enable, openai_api, user):
    credits_port.provide(RecordingHook(refuse=True))
    enable("openai", openai_api)

    with pytest.raises(InsufficientCredits):
        generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert openai_api.requests == []
    row = AIUsage.objects.get()
    assert (row.outcome, row.error) == ("rejected", "insufficient credits")


def test_a_failed_request_is_settled_as_failed(enable, openai_api, user):
    hook = RecordingHook()
    credits_port.provide(hook)
    enable("openai", openai_api)
    openai_api.default = openai_api.error(500)

    with pytest.raises(AIUnavailable):
        generate(AITask.SUMMARY_BRIEF, TextInput(EN), options=GenerateOptions(fallback=False))

    [usage] = hook.settled
    assert not usage.succeeded
    assert usage.cost_usd == 0
    assert hook.reserved[0][0] is None  # a system call, no user


def test_a_stream_is_settled_before_its_result_is_handed_over(user):
    hook = RecordingHook()
    credits_port.provide(hook)

    stream = generate_stream(AITask.SUMMARY_BRIEF, TextInput(KO), user=user)
    items = []
    for item in stream:
        items.append(item)
        if isinstance(item, AIResult):
            break  # a consumer that never asks for more

    assert len(hook.settled) == 1
    assert hook.settled[0].succeeded
    assert hook.settled[0].provider == "local"
