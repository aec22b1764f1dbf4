"""A stand-in for the Anthropic Messages API (`POST /v1/messages`), as the official `anthropic`
SDK calls it: JSON messages; SSE streams of message_start, content_block_start, ping,
content_block_delta (text_delta), content_block_stop, message_delta (stop reason and output
tokens) and message_stop; `event: error` mid-stream; the API's error bodies. The key is
checked in `x-api-key` or as a bearer token. Point the SDK at `base_url`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .server import RecordedRequest, Reply, ScriptedServer, SSEEvent


class AnthropicStandin(ScriptedServer):
    paths = ("/v1/messages",)
    model = "claude-haiku-4-5"

    @property
    def base_url(self) -> str:
        return self.origin

    def presented_key(self, request: RecordedRequest) -> str | None:
        # Older SDKs send the key as x-api-key, 2.x as a bearer token; the API takes both.
        return request.headers.get("x-api-key") or super().presented_key(request)

    # --- replies --------------------------------------------------------------------------------

    def message(
        self,
        text: str,
        *,
        input_tokens: int = 13,
        output_tokens: int = 9,
        stop_reason: str = "end_turn",
        delay: float = 0.0,
    ) -> Reply:
        body = self._message(
            [{"type": "text", "text": text}], stop_reason, input_tokens, output_tokens
        )
        return Reply(200, body, delay=delay)

    def stream(
        self,
        pieces: Iterable[str],
        *,
        input_tokens: int = 13,
        output_tokens: int = 9,
        event_delay: float = 0.0,
        delay: float = 0.0,
        fail_after: int | None = None,
    ) -> Reply:
        """A streamed message; with `fail_after=n`, an `overloaded_error` event follows the n-th
        text delta and the stream ends there."""
        start = self._message([], None, input_tokens, 1)
        events = [
            _event("message_start", {"message": start}),
            _event(
                "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
            ),
            _event("ping", {}),
        ]
        for number, piece in enumerate(pieces, start=1):
            delta = {"index": 0, "delta": {"type": "text_delta", "text": piece}}
            events.append(_event("content_block_delta", delta))
            if number == fail_after:
                error = {"error": {"type": "overloaded_error", "message": "Overloaded"}}
                events.append(_event("error", error))
                return Reply(200, events=tuple(events), delay=delay, event_delay=event_delay)
        events += [
            _event("content_block_stop", {"index": 0}),
            _event(
                "message_delta",
                {
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": output_tokens},
                },
            ),
            _event("message_stop", {}),
        ]
        return Reply(200, events=tuple(events), delay=delay, event_delay=event_delay)

    def error(
        self, status: int, message: str = "stand-in error", *, kind: str = "api_error"
    ) -> Reply:
        body = {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_standin",
        }
        return Reply(status, body)

    def unauthorized(self) -> Reply:
        return self.error(401, "invalid x-api-key", kind="authentication_error")

    # --- reading what the client sent ---------------------------------------------------------

    @staticmethod
    def system_prompts(request: RecordedRequest) -> list[str]:
        system = request.json.get("system")
        if isinstance(system, list):
            return [block["text"] for block in system]
        return [system] if system else []

    @staticmethod
    def user_messages(request: RecordedRequest) -> list[str]:
        return [_text(m["content"]) for m in request.json["messages"] if m["role"] == "user"]

    def _message(
        self,
        content: list[dict[str, Any]],
        stop_reason: str | None,
        input_tokens: int,
        output_tokens: int,
    ) -> dict[str, Any]:
        return {
            "id": "msg_standin_1",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }


def _event(name: str, payload: dict[str, Any]) -> SSEEvent:
    return SSEEvent(json.dumps({"type": name, **payload}), event=name)


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)
