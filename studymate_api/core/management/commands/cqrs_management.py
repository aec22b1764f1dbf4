"""Operate the event store: what it holds, what the outbox still owes, who subscribes."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min
from django.utils import timezone

from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import subscribers


class Command(BaseCommand):
    help = "--stats: events by type, the outbox's backlog, the registered subscribers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--stats", action="store_true", help="print statistics")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["stats"]:
            raise CommandError("choose --stats")
        by_type = DomainEvent.objects.values("event_type").annotate(n=Count("id"))
        counts = {row["event_type"]: row["n"] for row in by_type.order_by("event_type")}
        self.stdout.write(self.style.MIGRATE_HEADING("Event store"))
        self.stdout.write(f"events: {sum(counts.values())}")
        for event_type, count in counts.items():
            self.stdout.write(f"  {event_type}  {count}")
        outbox = DomainEvent.objects.filter(published_at__isnull=True).aggregate(
            unpublished=Count("id"), oldest=Min("occurred_at")
        )
        failing = DomainEvent.objects.filter(published_at__isnull=True, attempts__gt=0).count()
        age = f", oldest {timezone.now() - outbox['oldest']} old" if outbox["oldest"] else ""
        self.stdout.write(f"outbox: {outbox['unpublished']} unpublished ({failing} failing){age}")
        names = ", ".join(s.name for s in subscribers.all()) or "none"
        self.stdout.write(f"subscribers: {names}")
