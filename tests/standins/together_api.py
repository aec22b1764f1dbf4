"""A stand-in for Together's OpenAI-compatible chat-completions API (`POST /v1/chat/completions`)
as the real one answers. Differences from OpenAI's: `base_url` is the origin, as
TOGETHER_BASE_URL is (the /v1 of the paths is the client's to add), responses carry `prompt`,
and a stream reports usage in its last content chunk (together with `finish_reason`) without
being asked, not in a separate chunk."""

from __future__ import annotations

from typing import Any

from .openai_api import OpenAIStandin, _usage


class TogetherStandin(OpenAIStandin):
    model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    object_prefix = "together-standin"

    @property
    def base_url(self) -> str:
        return self.origin

    def _extra_completion_fields(self) -> dict[str, Any]:
        return {"prompt": []}

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return super()._chunk({"role": "assistant", **delta}, finish_reason)

    def _final_chunks(self, prompt_tokens: int, completion_tokens: int) -> list[dict[str, Any]]:
        final = self._chunk({}, finish_reason="stop")
        final["usage"] = _usage(prompt_tokens, completion_tokens)
        return [final]
