"""A stand-in for the OpenAI chat-completions API (`POST /v1/chat/completions`), as the official
`openai` SDK calls it: JSON completions, `data: {...}` SSE chunks ending with `data: [DONE]`
(with a usage chunk when the request asks for `stream_options.include_usage`), and the API's
error bodies. Point the SDK at `base_url`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .server import RecordedRequest, Reply, ScriptedServer, SSEEvent

CREATED = 1_700_000_000


class OpenAIStandin(ScriptedServer):
    paths = ("/v1/chat/completions",)
    model = "gpt-4o-mini"
    object_prefix = "chatcmpl-standin"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    # --- replies --------------------------------------------------------------------------------

    def completion(
        self,
        text: str,
        *,
        prompt_tokens: int = 11,
        completion_tokens: int = 7,
        finish_reason: str = "stop",
        delay: float = 0.0,
    ) -> Reply:
        body = {
            "id": f"{self.object_prefix}-1",
            "object": "chat.completion",
            "created": CREATED,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": _usage(prompt_tokens, completion_tokens),
            **self._extra_completion_fields(),
        }
        return Reply(200, body, delay=delay)

    def stream(
        self,
        pieces: Iterable[str],
        *,
        prompt_tokens: int = 11,
        completion_tokens: int = 7,
        event_delay: float = 0.0,
        delay: float = 0.0,
    ) -> Reply:
        """A streamed completion: a role chunk, one chunk per piece, a finish chunk, a usage
        chunk (no choices, as `stream_options.include_usage` asks), then [DONE]."""
        chunks = [self._chunk({"role": "assistant", "content": ""})]
        chunks += [self._chunk({"content": piece}) for piece in pieces]
        chunks += self._final_chunks(prompt_tokens, completion_tokens)
        events = tuple(SSEEvent(json.dumps(chunk)) for chunk in chunks)
        return Reply(
            200, events=(*events, SSEEvent("[DONE]")), delay=delay, event_delay=event_delay
        )

    def error(
        self, status: int, message: str = "stand-in error", *, kind: str = "server_error"
    ) -> Reply:
        return Reply(
            status, {"error": {"message": message, "type": kind, "param": None, "code": None}}
        )

    def unauthorized(self) -> Reply:
        return self.error(401, "Incorrect API key provided.", kind="invalid_request_error")

    # --- reading what the client sent ---------------------------------------------------------

    @staticmethod
    def system_prompts(request: RecordedRequest) -> list[str]:
        return [m["content"] for m in request.json["messages"] if m["role"] == "system"]

    @staticmethod
    def user_messages(request: RecordedRequest) -> list[str]:
        return [m["content"] for m in request.json["messages"] if m["role"] == "user"]

    # --- shapes -------------------------------------------------------------------------------

    def _extra_completion_fields(self) -> dict[str, Any]:
        return {"system_fingerprint": "fp_standin"}

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": f"{self.object_prefix}-1",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }

    def _final_chunks(self, prompt_tokens: int, completion_tokens: int) -> list[dict[str, Any]]:
        usage = self._chunk({})
        usage["choices"] = []
        usage["usage"] = _usage(prompt_tokens, completion_tokens)
        return [self._chunk({}, finish_reason="stop"), usage]


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
