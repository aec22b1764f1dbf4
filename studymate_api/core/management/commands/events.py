"""What happens when an event is recorded: each event type, who produces it, and the
subscribers the outbox delivers it to, in delivery order.

    python manage.py events            # every event
    python manage.py events QuizCompleted

Batched subscribers of an event share one transaction; isolated ones run each in its own
savepoint after them (`studymate_api.cqrs.outbox`).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from studymate_api.cqrs import EventType, Subscriber, declared_events, subscribers


def subscriber_location(subscriber: Subscriber) -> str:
    handler = subscriber.handler
    return f"{handler.__module__}.{handler.__qualname__}"


def event_map() -> list[tuple[str, str, list[Subscriber]]]:
    """(event name, "producer module, aggregate", subscribers in delivery order) for every
    declared event, then for event types subscribers name that no `events` module declares."""
    autodiscover_modules("events", "subscribers")  # every app's declarations and subscribers
    declared: dict[str, EventType[Any]] = {event.name: event for event in declared_events()}
    heard = {name for s in subscribers.all() for name in (s.event_types or ())}
    rows = [
        (name, f"{event.producer}, aggregate {event.aggregate}", subscribers.for_event(name))
        for name, event in declared.items()
    ]
    rows += [
        (name, "not declared in an events module", subscribers.for_event(name))
        for name in sorted(heard - set(declared))
    ]
    return rows


class Command(BaseCommand):
    help = "List each event type, its producer and its subscribers in delivery order."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("event", nargs="?", help="only this event type (its stored name)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = event_map()
        if options["event"]:
            rows = [row for row in rows if row[0] == options["event"]]
            if not rows:
                raise CommandError(f"no event type named {options['event']!r}")
        for name, origin, listeners in rows:
            self.stdout.write(f"{self.style.MIGRATE_HEADING(name)}  ({origin})")
            if not listeners:
                self.stdout.write("  no subscribers")
            batched = [s for s in listeners if not s.isolated]
            isolated = [s for s in listeners if s.isolated]
            for position, subscriber in enumerate(batched + isolated, start=1):
                how = "isolated" if subscriber.isolated else "batched"
                self.stdout.write(
                    f"  {position}. {subscriber.name}  [{how}]  {subscriber_location(subscriber)}"
                )
