"""Together chat completions through the `openai` SDK: Together serves an OpenAI-compatible API
(`POST /v1/chat/completions`, OpenAI's errors and stream chunks). TOGETHER_BASE_URL is the API's
origin, without /v1 (the paths start there); usage arrives in the last streamed chunk."""

from __future__ import annotations

from .openai import OpenAIProvider


class TogetherProvider(OpenAIProvider):
    name = "together"
    api_root = "/v1"
    # Together's chat API takes `max_tokens`.
    legacy_max_tokens = True
    # Together always reports usage, in the last content chunk (with `finish_reason`).
    ask_stream_usage = False
    ambient_account = False
