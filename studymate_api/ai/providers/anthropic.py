"""Anthropic Messages API through the official SDK. The system prompt goes in the request's
`system` parameter, learner data in the user message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import anthropic
import httpx2
from anthropic.types import Message, MessageParam, RawMessageStreamEvent

from ..config import RemoteConfig
from ..contracts import Completion, ProviderRequest, TextStream
from .base import SDKErrors, sdk_errors

ERRORS = SDKErrors(
    base=anthropic.APIError,
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
    status=anthropic.APIStatusError,
    transport_timeout=httpx2.TimeoutException,
    transport=httpx2.TransportError,
)


@lru_cache(maxsize=8)
def _client(config: RemoteConfig) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=config.api_key,
        base_url=config.base_url,
        timeout=config.timeout,
        max_retries=0,
    )


def _messages(request: ProviderRequest) -> list[MessageParam]:
    messages: list[MessageParam] = []
    for message in request.messages:
        if message.role == "user":
            messages.append({"role": "user", "content": message.content})
        else:
            messages.append({"role": "assistant", "content": message.content})
    return messages


@dataclass
class _StreamUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def update(self, event: RawMessageStreamEvent) -> None:
        # message_start carries the input count; message_delta the running output count.
        if event.type == "message_start":
            self.prompt_tokens = event.message.usage.input_tokens
            self.completion_tokens = event.message.usage.output_tokens
        elif event.type == "message_delta":
            self.completion_tokens = event.usage.output_tokens
            self.prompt_tokens = event.usage.input_tokens or self.prompt_tokens


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self.model = config.model

    def complete(self, request: ProviderRequest) -> Completion:
        with sdk_errors(ERRORS):
            response = _client(self.config).messages.create(
                model=self.model,
                max_tokens=min(request.max_tokens, self.config.max_tokens),
                system=request.system,
                messages=_messages(request),
            )
        usage = response.usage
        return Completion(_text(response), self.model, usage.input_tokens, usage.output_tokens)

    def open_stream(self, request: ProviderRequest) -> TextStream:
        with sdk_errors(ERRORS):
            stream = _client(self.config).messages.create(
                model=self.model,
                max_tokens=min(request.max_tokens, self.config.max_tokens),
                system=request.system,
                messages=_messages(request),
                stream=True,
            )
        return self._read(stream)

    def _read(self, stream: anthropic.Stream[RawMessageStreamEvent]) -> TextStream:
        pieces: list[str] = []
        usage = _StreamUsage()
        with sdk_errors(ERRORS), stream:
            for event in stream:
                usage.update(event)
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    pieces.append(event.delta.text)
                    yield event.delta.text
        return Completion("".join(pieces), self.model, usage.prompt_tokens, usage.completion_tokens)


def _text(message: Message) -> str:
    return "".join(block.text for block in message.content if block.type == "text")
