"""The one place billing plugs into the gateway: the `ai.credits` port (`studymate_api.ports`).

A credit hook is a callable `hook(user, task, estimated_cost_usd)` called once per request after
the daily limit and before any provider. It may raise
`studymate_api.core.errors.InsufficientCredits` to refuse the request (nothing is called and the
error reaches the caller), or return a settle function, or None. The gateway calls the settle
function exactly once when the request ends, successful or not, with a `UsageSummary` of what it
actually spent (tokens and cost over every attempt), so a reservation can be turned into a
charge or released. `user` is None for system calls.

The billing app provides it at start-up (`SubscriptionConfig.ready`:
`credits_port.provide(reserve_ai_credits)`). Without a provider, requests are free.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from django.contrib.auth.base_user import AbstractBaseUser

from studymate_api.ports import Port

from .contracts import AITask, UsageSummary

Settle = Callable[[UsageSummary], None]


class CreditHook(Protocol):
    """What the gateway asks of billing before it calls a model."""

    def __call__(
        self, user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal, /
    ) -> Settle | None: ...


def _free(user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal, /) -> None:
    return None


credits_port: Port[CreditHook] = Port("ai.credits", default=_free)


def reserve_credits(
    user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal
) -> Settle | None:
    return credits_port.get()(user, task, estimated_cost_usd)
