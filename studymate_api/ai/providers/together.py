"""Together chat completions through the official SDK (OpenAI-compatible; usage arrives in the
last streamed chunk)."""

from __future__ import annotations

from functools import lru_cache

import httpx
import together
from together.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from together.types.chat.chat_completion_usage import ChatCompletionUsage

from ..config import RemoteConfig
from ..contracts import Completion, ProviderRequest, TextStream
from ..tokens import approx_prompt_tokens, approx_tokens
from .base import SDKErrors, sdk_errors

ERRORS = SDKErrors(
    base=together.APIError,
    timeout=together.APITimeoutError,
    connection=together.APIConnectionError,
    status=together.APIStatusError,
    transport_timeout=httpx.TimeoutException,
    transport=httpx.TransportError,
)


@lru_cache(maxsize=8)
def _client(config: RemoteConfig) -> together.Together:
    return together.Together(
        api_key=config.api_key,
        base_url=config.base_url,
        timeout=config.timeout,
        max_retries=0,
    )


def _messages(request: ProviderRequest) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": request.system}]
    for message in request.messages:
        if message.role == "user":
            messages.append({"role": "user", "content": message.content})
        else:
            messages.append({"role": "assistant", "content": message.content})
    return messages


class TogetherProvider:
    name = "together"

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self.model = config.model

    def complete(self, request: ProviderRequest) -> Completion:
        with sdk_errors(ERRORS):
            response = _client(self.config).chat.completions.create(
                model=self.model,
                messages=_messages(request),
                max_tokens=min(request.max_tokens, self.config.max_tokens),
                response_format={"type": "json_object"} if request.json_output else together.omit,
            )
        message = response.choices[0].message if response.choices else None
        text = (message.content or "") if message else ""
        return self._completion(request, text, response.usage)

    def open_stream(self, request: ProviderRequest) -> TextStream:
        with sdk_errors(ERRORS):
            stream = _client(self.config).chat.completions.create(
                model=self.model,
                messages=_messages(request),
                max_tokens=min(request.max_tokens, self.config.max_tokens),
                stream=True,
            )
        return self._read(request, stream)

    def _read(
        self, request: ProviderRequest, stream: together.Stream[ChatCompletionChunk]
    ) -> TextStream:
        pieces: list[str] = []
        usage: ChatCompletionUsage | None = None
        with sdk_errors(ERRORS), stream:
            for chunk in stream:
                usage = chunk.usage or usage
                piece = "".join(choice.delta.content or "" for choice in chunk.choices)
                if piece:
                    pieces.append(piece)
                    yield piece
        return self._completion(request, "".join(pieces), usage)

    def _completion(
        self, request: ProviderRequest, text: str, usage: ChatCompletionUsage | None
    ) -> Completion:
        if usage is None:
            return Completion(text, self.model, approx_prompt_tokens(request), approx_tokens(text))
        return Completion(text, self.model, usage.prompt_tokens, usage.completion_tokens)
