"""`cqrs_management --test-commands`: run each command's sample end to end, then roll back.

A round trip builds the sample (inside the transaction, so it may create what it needs),
dispatches it through the full middleware chain, and applies the events it recorded to the
projections that handle them. Everything is rolled back and nothing is published. Samples must
not reach outside the database (no emails, no paid API calls): that is the registering app's
contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import transaction

from .bus import CommandBus, Registration, command_bus
from .subscribers import SubscriberRegistry, subscribers

__all__ = ["RoundTrip", "run_command_samples"]


@dataclass(frozen=True)
class RoundTrip:
    command: str
    status: Literal["pass", "fail", "skip"]
    detail: str = ""


class _RollBack(Exception):
    """Leaves the round trip's transaction after a success."""


def run_command_samples(
    *, bus: CommandBus = command_bus, registry: SubscriberRegistry = subscribers
) -> list[RoundTrip]:
    return [_round_trip(registration, bus, registry) for registration in bus.registrations()]


def _round_trip(
    registration: Registration, bus: CommandBus, registry: SubscriberRegistry
) -> RoundTrip:
    if registration.sample is None:
        return RoundTrip(registration.name, "skip", "no sample registered")
    try:
        with transaction.atomic():
            sample = registration.sample()
            if type(sample.command) is not registration.message_type:
                raise TypeError(f"the sample is a {type(sample.command).__name__}")
            _result, events = bus.dispatch_with_events(sample.command, user=sample.user)
            for event in events:
                for projection in registry.projections():
                    if projection.wants(event.event_type):
                        projection.handle(event)
            detail = f"{len(events)} event(s)"
            raise _RollBack
    except _RollBack:
        return RoundTrip(registration.name, "pass", detail)
    except Exception as exc:
        return RoundTrip(registration.name, "fail", f"{type(exc).__name__}: {exc}")
