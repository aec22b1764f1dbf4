"""OpenAI chat completions through the official SDK (or any OpenAI-compatible server at
OPENAI_BASE_URL). `TogetherProvider` is this provider pointed at Together's OpenAI-compatible
API, with the few differences that API has."""

from __future__ import annotations

from functools import lru_cache

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from openai.types.completion_usage import CompletionUsage

from ..config import RemoteConfig
from ..contracts import Completion, ProviderRequest, TextStream
from ..tokens import approx_prompt_tokens, approx_tokens
from .base import SDKErrors, sdk_errors

ERRORS = SDKErrors(
    base=openai.APIError,
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
    status=openai.APIStatusError,
    transport_timeout=httpx2.TimeoutException,
    transport=httpx2.TransportError,
)

JSON_OBJECT: ResponseFormat = {"type": "json_object"}


@lru_cache(maxsize=8)
def _client(config: RemoteConfig, base_url: str, *, ambient_account: bool) -> openai.OpenAI:
    # One client (and connection pool) per configuration, shared by threads as the SDK allows.
    client = openai.OpenAI(
        api_key=config.api_key,
        base_url=base_url,
        timeout=config.timeout,
        max_retries=0,
    )
    if not ambient_account:
        client.organization = None
        client.project = None
    return client


def _messages(request: ProviderRequest) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": request.system}]
    for message in request.messages:
        if message.role == "user":
            messages.append({"role": "user", "content": message.content})
        else:
            messages.append({"role": "assistant", "content": message.content})
    return messages


class OpenAIProvider:
    name = "openai"
    # What the configured base URL lacks of the API root the SDK's paths hang from.
    api_root = ""
    # OpenAI's output ceiling is `max_completion_tokens` (`max_tokens` is deprecated there);
    # OpenAI-compatible APIs may know only `max_tokens`.
    legacy_max_tokens = False
    # OpenAI reports a stream's usage (in a chunk of its own, without choices) only when asked.
    ask_stream_usage = True
    # The SDK sends OPENAI_ORG_ID and OPENAI_PROJECT_ID from the environment as headers: OpenAI's
    # account names, for OpenAI only.
    ambient_account = True

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self.model = config.model

    def complete(self, request: ProviderRequest) -> Completion:
        limit = self._limit(request)
        with sdk_errors(ERRORS):
            response = self._sdk().chat.completions.create(
                model=self.model,
                messages=_messages(request),
                max_tokens=limit if self.legacy_max_tokens else openai.omit,
                max_completion_tokens=openai.omit if self.legacy_max_tokens else limit,
                response_format=JSON_OBJECT if request.json_output else openai.omit,
            )
        text = (response.choices[0].message.content or "") if response.choices else ""
        return self._completion(request, text, response.usage)

    def open_stream(self, request: ProviderRequest) -> TextStream:
        limit = self._limit(request)
        with sdk_errors(ERRORS):
            stream = self._sdk().chat.completions.create(
                model=self.model,
                messages=_messages(request),
                max_tokens=limit if self.legacy_max_tokens else openai.omit,
                max_completion_tokens=openai.omit if self.legacy_max_tokens else limit,
                stream=True,
                stream_options={"include_usage": True} if self.ask_stream_usage else openai.omit,
            )
        return self._read(request, stream)

    def _sdk(self) -> openai.OpenAI:
        base_url = self.config.base_url + self.api_root
        return _client(self.config, base_url, ambient_account=self.ambient_account)

    def _limit(self, request: ProviderRequest) -> int:
        return min(request.max_tokens, self.config.max_tokens)

    def _read(
        self, request: ProviderRequest, stream: openai.Stream[ChatCompletionChunk]
    ) -> TextStream:
        pieces: list[str] = []
        usage: CompletionUsage | None = None
        with sdk_errors(ERRORS), stream:
            for chunk in stream:
                # Usage comes in the last chunk: one without choices (OpenAI with include_usage)
                # or the last content chunk (Together).
                usage = chunk.usage or usage
                piece = "".join(choice.delta.content or "" for choice in chunk.choices)
                if piece:
                    pieces.append(piece)
                    yield piece
        return self._completion(request, "".join(pieces), usage)

    def _completion(
        self, request: ProviderRequest, text: str, usage: CompletionUsage | None
    ) -> Completion:
        if usage is None:
            return Completion(text, self.model, approx_prompt_tokens(request), approx_tokens(text))
        return Completion(text, self.model, usage.prompt_tokens, usage.completion_tokens)
