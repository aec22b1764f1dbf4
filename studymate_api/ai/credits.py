"""The one place billing plugs into the gateway.

A credit hook is a function `hook(user, task, estimated_cost_usd)` called once per request after
the daily limit and before any provider. It may raise
`studymate_api.core.errors.InsufficientCredits` to refuse the request (nothing is called and the
error reaches the caller), or return a settle function, or None. The gateway calls the settle
function exactly once when the request ends, successful or not, with a `UsageSummary` of what it
actually spent (tokens and cost over every attempt), so a reservation can be turned into a
charge or released. `user` is None for system calls.

Register it at start-up, e.g. in the billing app's `AppConfig.ready`:
`set_credit_hook(reserve_ai_credits)`. Without one, requests are free (the default no-op).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser

from .contracts import AITask, UsageSummary

Settle = Callable[[UsageSummary], None]
CreditHook = Callable[[AbstractBaseUser | None, AITask, Decimal], Settle | None]


def _free(user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal) -> None:
    return None


_hook: CreditHook = _free


def set_credit_hook(hook: CreditHook | None) -> None:
    """Install the process-wide credit hook; None restores the free default."""
    global _hook  # one registration point, by design
    _hook = hook or _free


def credit_hook() -> CreditHook:
    """The installed hook (tests put it back after replacing it)."""
    return _hook


def reserve_credits(
    user: AbstractBaseUser | None, task: AITask, estimated_cost_usd: Decimal
) -> Settle | None:
    return _hook(user, task, estimated_cost_usd)
