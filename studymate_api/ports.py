"""Ports: a capability an app asks for that another app provides, where the import direction
forbids calling it (`quiz` needs a prediction that `personalization`, which imports quiz,
computes; the AI gateway in `studymate_api` needs billing, and `studymate_api` never imports an
app). The asking side declares a Protocol and a `Port` holding a default; the providing app
implements the Protocol and registers it in its `AppConfig.ready` with `port.provide(...)`.

Ports are few, on purpose. Every one of them:

- `ai.credits`: asked by `studymate_api.ai.credits` (Protocol `CreditHook`), provided by
  `subscription` (`reserve_ai_credits`, only when `BILLING_CREDITS_ENABLED`). Without a
  provider requests are free.
- `quiz.success_predictor`: asked by `quiz.adaptive` (Protocol `SuccessPredictor`), provided by
  `personalization` (the learner model's predictions and its target band). Without a provider
  predictions come from the authored difficulty, for an average learner.
- `study.review_workload`: asked by `study.selectors.settings` (Protocol `ReviewWorkload`: the
  reviews a day the study settings' desired retention and new-card limit would cost, and the
  cache tags of that figure), provided by `personalization` (the learner's review cards and
  FSRS parameters). Without a provider the settings show no estimate.
- `accounts.data_export` (several providers): asked by `accounts.services.export` (Protocol
  `ExportSection`, registry `data_export_sections`), provided by every app that holds a
  learner's data (`study`, `quiz`, `personalization`, `realtime`, `notifications`,
  `subscription`; accounts its own), each from its `AppConfig.ready` with one
  `<app>_export_for_user(user_id)` selector. Without a section, that app's data is not in the
  export.
- `accounts.mail`: asked by `accounts.mail` (Protocol `AccountMailer`: codes and notices about
  the account), provided by `notifications` (the kind's templates in the learner's language,
  sent over its email channel, nothing stored). Without a provider mail is only logged.

To react to something another app did, use its events instead (`<app>.events` and a
`subscribers` module); to read its data, its selectors. A port is for asking, synchronously,
for an answer the caller needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Port", "declared_ports"]

T = TypeVar("T")

_lock = threading.Lock()
_ports: dict[str, Port[object]] = {}


class Port(Generic[T]):
    """One process-wide slot: the default until a provider registers, then the provider."""

    def __init__(self, name: str, *, default: T, check: Callable[[T], None] | None = None) -> None:
        self.name = name
        self._default = default
        self._check = check
        self._provided: T | None = None
        with _lock:
            _ports[name] = self  # type: ignore[assignment]  # listed, never called from here

    def __repr__(self) -> str:
        return f"<Port {self.name}: {'provided' if self.provided else 'default'}>"

    def provide(self, implementation: T | None) -> None:
        """Register the provider (from its app's `AppConfig.ready`); None restores the
        default. `check` refuses an implementation that cannot work, at start."""
        if implementation is not None and self._check is not None:
            self._check(implementation)
        self._provided = implementation

    def get(self) -> T:
        return self._default if self._provided is None else self._provided

    @property
    def provided(self) -> bool:
        return self._provided is not None


def declared_ports() -> list[Port[object]]:
    """The ports declared so far, by name (each asking module declares its own on import)."""
    with _lock:
        return sorted(_ports.values(), key=lambda port: port.name)
