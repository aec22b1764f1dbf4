"""The AI gateway: every model call in the project goes through `generate` or `generate_stream`.

A call goes: check the input and the route, the user's daily limit, the credit hook; then each
provider of the route in turn until one gives a usable answer:

- 5xx and connection errors are retried on the same provider with backoff, then it falls back;
- timeouts, 429 and 401/402/403/404 (our key or model, not the content) fall back at once;
- 400/422 and other 4xx mean the request itself is refused: no retry and no fallback, the
  caller gets `AIRequestRejected`, since any provider would refuse the same content;
- an answer that fails the task's schema is sent back once for repair (the bad reply plus what
  was wrong), and if the repair fails too the next provider is asked;
- a provider whose circuit breaker is open is skipped.

When no provider is left the caller gets `AIUnavailable` (or `AIOutputInvalid` if the last
failure was unusable output). Every attempt is accounted (`AIUsage` + metrics) and the credit
hook's settle function runs exactly once per request.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

import structlog
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import InsufficientCredits, validation_failed
from studymate_api.core.models import AIUsage

from . import attempts
from .accounting import check_daily_limit, cost_usd
from .calls import AICall
from .catalog import task_spec
from .config import LOCAL, gateway_config
from .contracts import AIResult, AITask, Completion, GenerateOptions, PromptParts, input_size
from .credits import CreditRequest, Settle, request_fingerprint, reserve_credits
from .errors import (
    AIError,
    AIOutputInvalid,
    AIRequestRejected,
    AIThrottled,
    AIUnavailable,
    FailureKind,
    ProviderError,
)
from .outputs import Output, finish
from .plaintext import PlainTextStream
from .prompts import build_request, repair_request
from .providers import Provider, get_provider
from .routing import route
from .schemas import OutputInvalid
from .tokens import approx_prompt_tokens, approx_tokens

logger = structlog.get_logger(__name__)

# The unusable reply sent back for repair is cut to this: enough to show the mistake.
_REPAIR_ECHO_CHARS = 20_000

StreamItem = str | AIResult


def generate(
    task: AITask | str,
    parts: PromptParts,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    options: GenerateOptions | None = None,
) -> AIResult:
    """Run `task` on `parts` and return the answer (see the module docstring for routing).

    Raises `AIThrottled` (daily limit), `InsufficientCredits` (credit hook),
    `ValidationFailed` (input too long, unknown provider), `AIRequestRejected`,
    `AIUnavailable` or `AIOutputInvalid`. Call it outside `transaction.atomic`.
    """
    call = _open(task, parts, user, options or GenerateOptions(), streamed=False)
    settle = _reserve(call)
    result: AIResult | None = None
    try:
        result = _answer(call)
        return result
    finally:
        _settle(call, settle, result)


def generate_stream(
    task: AITask | str,
    parts: PromptParts,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    options: GenerateOptions | None = None,
) -> Generator[StreamItem, None, None]:
    """Like `generate`, but yields plain-text pieces as they arrive and then, last, the
    `AIResult` (whose `text` is authoritative: tidied, and for bullets normalized).

    Limits and credits are checked before this returns, so they raise here, before a response
    is started. Structured tasks (quiz_questions, essay_grading) are not streamed: the result
    alone is yielded. A provider that fails before its first piece is retried or replaced as in
    `generate`; once pieces were yielded, a failure raises `AIUnavailable`. Close the iterator
    if you stop early (the attempt is then accounted as abandoned).
    """
    call = _open(task, parts, user, options or GenerateOptions(), streamed=True)
    settle = _reserve(call)
    return _streaming(call, settle)


# --- opening a call -----------------------------------------------------------------------------


def _open(
    task: AITask | str,
    parts: PromptParts,
    user: AbstractBaseUser | AnonymousUser | None,
    options: GenerateOptions,
    *,
    streamed: bool,
) -> AICall:
    spec = task_spec(task)
    if not isinstance(parts, spec.input_type):
        raise TypeError(f"{spec.task} takes {spec.input_type.__name__}, not {type(parts).__name__}")
    if input_size(parts) > gateway_config().max_input_chars:
        raise validation_failed("text", "The text is too long for the AI service.")
    account = user if isinstance(user, AbstractBaseUser) and user.pk is not None else None
    call = AICall(
        task=spec.task,
        spec=spec,
        parts=parts,
        user=account,
        route=route(options.provider, fallback=options.fallback),
        limit=min(spec.max_chars, options.max_chars or spec.max_chars),
        request=build_request(spec, parts),
        streamed=streamed,
    )
    try:
        check_daily_limit(account)
    except AIThrottled:
        call.reject("daily request limit reached")
        raise
    return call


def _reserve(call: AICall) -> Settle | None:
    first = get_provider(call.route[0])
    estimate = cost_usd(first.model, approx_prompt_tokens(call.request), call.spec.max_tokens)
    request = CreditRequest(
        user=call.user,
        task=call.task,
        estimated_cost_usd=estimate,
        providers=tuple(call.route),
        fingerprint=request_fingerprint(call.user, call.task, call.parts, call.route[0]),
    )
    try:
        return reserve_credits(request)
    except InsufficientCredits:
        call.reject("insufficient credits")
        raise


def _settle(call: AICall, settle: Settle | None, result: AIResult | None) -> None:
    if settle is None:
        return
    if result is None:
        settle(call.usage(succeeded=False))
    else:
        settle(call.usage(succeeded=True, provider=result.provider, model=result.model))


# --- answering ----------------------------------------------------------------------------------


def _answer(call: AICall) -> AIResult:
    failure: ProviderError | None = None
    for position, name in enumerate(call.route):
        try:
            return _answer_from(call, get_provider(name), position > 0)
        except ProviderError as error:
            failure = _next_provider(call, name, error)
    raise _exhausted(failure)


def _next_provider(call: AICall, name: str, error: ProviderError) -> ProviderError:
    """Let the route go on after `error`, unless the request itself was refused."""
    if error.kind is FailureKind.INVALID_REQUEST:
        raise AIRequestRejected() from error
    logger.warning(
        "ai_provider_failed", provider=name, kind=str(error.kind), request_id=str(call.id)
    )
    return error


def _exhausted(failure: ProviderError | None) -> AIError:
    error = (
        AIOutputInvalid()
        if failure is not None and failure.kind is FailureKind.INVALID_OUTPUT
        else AIUnavailable()
    )
    error.__cause__ = failure
    return error


def _answer_from(call: AICall, provider: Provider, fallback: bool) -> AIResult:
    completion = attempts.complete(call, provider, call.request)
    try:
        output = _checked(call, provider, completion)
    except ProviderError as error:
        if provider.name == LOCAL:  # deterministic: asking again gives the same answer
            raise
        bad_reply = completion.text[:_REPAIR_ECHO_CHARS]
        repair = repair_request(call.request, bad_reply, error.message)
        completion = attempts.complete(call, provider, repair)
        output = _checked(call, provider, completion)
    outcome = AIUsage.Outcome.FALLBACK if fallback else AIUsage.Outcome.SUCCESS
    call.account(provider.name, provider.model, outcome, completion=completion)
    return call.result(provider.name, completion, output, fallback=fallback)


def _checked(call: AICall, provider: Provider, completion: Completion) -> Output:
    """The finished output, or the attempt accounted as an error and a ProviderError raised."""
    try:
        return finish(call.spec, completion.text, call.parts, call.limit)
    except OutputInvalid as problem:
        call.account(
            provider.name,
            provider.model,
            AIUsage.Outcome.ERROR,
            completion=completion,
            error=f"invalid output: {problem}",
        )
        raise ProviderError(FailureKind.INVALID_OUTPUT, str(problem)) from None


# --- streaming ----------------------------------------------------------------------------------


def _streaming(call: AICall, settle: Settle | None) -> Generator[StreamItem, None, None]:
    result: AIResult | None = None
    try:
        if call.spec.structured:
            result = _answer(call)
        else:
            result = yield from _stream_answer(call)
    finally:
        # Before the result is handed over: a consumer that stops there never resumes us.
        _settle(call, settle, result)
    yield result


def _stream_answer(call: AICall) -> Generator[str, None, AIResult]:
    failure: ProviderError | None = None
    for position, name in enumerate(call.route):
        try:
            return (yield from _stream_from(call, get_provider(name), position > 0))
        except ProviderError as error:
            failure = _next_provider(call, name, error)
    raise _exhausted(failure)


def _stream_from(
    call: AICall, provider: Provider, fallback: bool
) -> Generator[str, None, AIResult]:
    guard, stream = attempts.open_stream(call, provider)
    cleaner = PlainTextStream(call.limit)
    raw: list[str] = []
    try:
        completion = yield from _pump(stream, cleaner, raw)
        if tail := cleaner.flush():
            yield tail
    except ProviderError as error:
        guard.failed(error, _estimated(call, provider, raw))
        if cleaner.emitted:
            raise AIUnavailable(_("The answer was interrupted. Try again.")) from error
        raise
    except GeneratorExit:
        stream.close()
        call.account(
            provider.name,
            provider.model,
            AIUsage.Outcome.ERROR,
            completion=replace(_estimated(call, provider, raw), latency_ms=guard.elapsed_ms()),
            error="stream abandoned by the consumer",
        )
        raise
    completion = guard.succeeded(completion or _estimated(call, provider, raw))
    output = _checked(call, provider, completion)
    outcome = AIUsage.Outcome.FALLBACK if fallback else AIUsage.Outcome.SUCCESS
    call.account(provider.name, provider.model, outcome, completion=completion)
    return call.result(provider.name, completion, output, fallback=fallback)


def _pump(
    stream: Generator[str, None, Completion], cleaner: PlainTextStream, raw: list[str]
) -> Generator[str, None, Completion | None]:
    """Relay the provider's pieces, cleaned; None when the output limit cut the stream short
    (the provider then never reports its usage)."""
    while True:
        try:
            piece = next(stream)
        except StopIteration as stop:
            completion: Completion = stop.value
            return completion
        except ProviderError:
            raise
        except Exception as error:
            raise attempts.unexpected("stream", error) from error
        raw.append(piece)
        if clean := cleaner.feed(piece):
            yield clean
        if cleaner.full:
            stream.close()
            return None


def _estimated(call: AICall, provider: Provider, raw: list[str]) -> Completion:
    text = "".join(raw)
    return Completion(text, provider.model, approx_prompt_tokens(call.request), approx_tokens(text))
