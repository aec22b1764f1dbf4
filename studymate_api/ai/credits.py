"""The one place billing plugs into the gateway: the `ai.credits` port (`studymate_api.ports`).

A credit hook is a callable `hook(request)` called once per request, with a `CreditRequest`,
after the daily limit and before any provider. It may raise
`studymate_api.core.errors.InsufficientCredits` to refuse the request (nothing is called and the
error reaches the caller), or return a settle function, or None. The gateway calls the settle
function exactly once when the request ends, successful or not, with a `UsageSummary` of what it
actually spent (tokens and cost over every attempt) and which provider answered, so a
reservation can be turned into a charge or released. `request.user` is None for system calls.

The billing app provides it at start-up (`SubscriptionConfig.ready`:
`credits_port.provide(reserve_ai_credits)`). Without a provider, requests are free.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.contrib.auth.base_user import AbstractBaseUser

from studymate_api.ports import Port

from .contracts import AITask, PromptParts, UsageSummary

Settle = Callable[[UsageSummary], None]


@dataclass(frozen=True)
class CreditRequest:
    """What the gateway tells billing about a request before it calls a model."""

    user: AbstractBaseUser | None
    task: AITask
    # Priced for the first provider of the route, with the task's full output allowance.
    estimated_cost_usd: Decimal
    # The providers that may answer, in the order they are tried (`local` is always last).
    providers: tuple[str, ...]
    # The request's identity for billing (`request_fingerprint`): equal for the same learner
    # asking the same task of the same provider with the same input.
    fingerprint: str


def request_fingerprint(
    user: AbstractBaseUser | None, task: AITask, parts: PromptParts, provider: str
) -> str:
    """A hash of who asks (the user's id), what (the task), of whom (the provider tried first)
    and on what (the input's parameters and every section of its text, exactly): the same
    material summarized the same way twice, or the same quiz asked for twice, has the same
    fingerprint; a different count of questions, difficulty or text does not."""
    canonical = json.dumps(
        {
            "user": None if user is None else user.pk,
            "task": str(task),
            "provider": provider,
            "parameters": parts.parameters(),
            "sections": parts.sections(),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class CreditHook(Protocol):
    """What the gateway asks of billing before it calls a model."""

    def __call__(self, request: CreditRequest, /) -> Settle | None: ...


def _free(request: CreditRequest, /) -> None:
    return None


credits_port: Port[CreditHook] = Port("ai.credits", default=_free)


def reserve_credits(request: CreditRequest) -> Settle | None:
    return credits_port.get()(request)
