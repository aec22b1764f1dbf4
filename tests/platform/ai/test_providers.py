"""Each provider through its official SDK, over HTTP to its stand-in: plain and streamed
answers, what the SDK sent, and the usage the API reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studymate_api.ai import AIResult, AITask, GenerateOptions, TextInput, generate, generate_stream
from studymate_api.core.models import AIUsage
from tests.platform.ai.texts import EN
from tests.standins.fixtures import TEST_KEY

pytestmark = pytest.mark.django_db

SUMMARY = "Plants turn light into chemical energy. Chlorophyll captures the light."


def _stream(task, parts, **kwargs):
    items = list(generate_stream(task, parts, **kwargs))
    pieces, result = items[:-1], items[-1]
    assert all(isinstance(piece, str) for piece in pieces)
    assert isinstance(result, AIResult)
    return pieces, result


def test_openai_completion(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.enqueue(openai_api.completion(SUMMARY, prompt_tokens=120, completion_tokens=18))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.text, result.provider, result.model) == (SUMMARY, "openai", "gpt-4o-mini")
    assert (result.prompt_tokens, result.completion_tokens, result.fallback) == (120, 18, False)
    sent = openai_api.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert sent.json["model"] == "gpt-4o-mini"
    assert sent.json["max_completion_tokens"] == 400
    assert [m["role"] for m in sent.json["messages"]] == ["system", "user"]
    assert "response_format" not in sent.json
    row = AIUsage.objects.get()
    assert (row.provider, row.outcome, row.prompt_tokens, row.user_id) == (
        "openai",
        "success",
        120,
        user.pk,
    )


def test_openai_stream(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.enqueue(
        openai_api.stream(["Plants turn ", "light into ", "energy."], completion_tokens=6)
    )

    pieces, result = _stream(AITask.SUMMARY_DETAILED, TextInput(EN), user=user)

    assert "".join(pieces) == "Plants turn light into energy."
    assert result.text == "Plants turn light into energy."
    assert (result.provider, result.completion_tokens) == ("openai", 6)
    sent = openai_api.last.json
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert AIUsage.objects.get().streamed is True


def test_anthropic_message(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    anthropic_api.enqueue(anthropic_api.message(SUMMARY, input_tokens=140, output_tokens=21))

    result = generate(
        AITask.SUMMARY_BRIEF, TextInput(EN), user=user, options=GenerateOptions("anthropic")
    )

    assert (result.text, result.provider, result.model) == (
        SUMMARY,
        "anthropic",
        "claude-haiku-4-5",
    )
    assert (result.prompt_tokens, result.completion_tokens) == (140, 21)
    sent = anthropic_api.last
    assert sent.path == "/v1/messages"
    assert anthropic_api.presented_key(sent) == TEST_KEY
    assert sent.headers["anthropic-version"]
    assert sent.json["max_tokens"] == 400
    # The system prompt is the API's `system` field; the messages hold only the learner data.
    assert anthropic_api.system_prompts(sent)[0].startswith("You are the study assistant")
    assert [m["role"] for m in sent.json["messages"]] == ["user"]


def test_anthropic_stream(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    anthropic_api.enqueue(
        anthropic_api.stream(["광합성은 ", "빛을 ", "이용한다."], input_tokens=90, output_tokens=12)
    )

    pieces, result = _stream(
        AITask.SUMMARY_BRIEF, TextInput(EN), user=user, options=GenerateOptions("anthropic")
    )

    assert "".join(pieces) == result.text == "광합성은 빛을 이용한다."
    assert (result.prompt_tokens, result.completion_tokens) == (90, 12)
    assert anthropic_api.last.json["stream"] is True


def test_together_completion(enable, together_api, user):
    enable("together", together_api)
    together_api.enqueue(together_api.completion(SUMMARY, prompt_tokens=99, completion_tokens=15))

    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.text, result.provider) == (SUMMARY, "together")
    assert result.model == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    assert (result.prompt_tokens, result.completion_tokens) == (99, 15)
    sent = together_api.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert sent.json["model"] == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    assert sent.json["max_tokens"] == 400
    assert "max_completion_tokens" not in sent.json
    assert [m["role"] for m in sent.json["messages"]] == ["system", "user"]


def test_together_stream(enable, together_api, user):
    enable("together", together_api)
    together_api.enqueue(together_api.stream(["- one\n", "- two"], prompt_tokens=50))

    pieces, result = _stream(AITask.SUMMARY_BULLETS, TextInput(EN), user=user)

    assert "".join(pieces) == "- one\n- two"
    assert result.text == "- one\n- two"
    assert (result.provider, result.prompt_tokens, result.completion_tokens) == ("together", 50, 7)
    sent = together_api.last.json
    assert (sent["stream"], sent["max_tokens"]) == (True, 800)
    # Together reports usage unasked, in its last content chunk.
    assert "stream_options" not in sent


def test_together_is_not_sent_openais_account_names(enable, together_api, user, monkeypatch):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-standin")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-standin")
    enable("together", together_api)
    together_api.enqueue(together_api.completion(SUMMARY))

    generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    headers = together_api.last.headers
    assert "openai-organization" not in headers
    assert "openai-project" not in headers


def test_local_is_the_default_without_keys(user):
    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert (result.provider, result.model, result.cost_usd) == (
        "local",
        "local-extractive-1",
        Decimal(0),
    )
    assert result.text
    assert result.prompt_tokens > 0
    assert result.completion_tokens > 0
    assert AIUsage.objects.get().outcome == "success"


def test_local_streams_word_by_word(user):
    pieces, result = _stream(AITask.SUMMARY_BRIEF, TextInput(EN), user=user)

    assert len(pieces) > 5
    assert "".join(pieces).strip() == result.text
