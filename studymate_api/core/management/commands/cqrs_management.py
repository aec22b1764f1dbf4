"""Operate the CQRS core: statistics, command round trips, projection replays."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min
from django.utils import timezone

from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import NotRegistered, command_bus, query_bus, replay, subscribers
from studymate_api.cqrs.roundtrip import run_command_samples
from studymate_api.cqrs.stats import HandlerTiming, bus_stats


class Command(BaseCommand):
    help = (
        "--stats: dispatch counts and handler timings (this process), events by type, outbox; "
        "--test-commands: run each command's sample in a rolled-back transaction; "
        "--replay PROJECTION: rebuild a projection from the event store."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--stats", action="store_true", help="print statistics")
        parser.add_argument(
            "--test-commands",
            action="store_true",
            help="round-trip every registered command's sample, then roll back; "
            "exits non-zero if any fails",
        )
        parser.add_argument("--replay", metavar="PROJECTION", help="rebuild PROJECTION")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["stats"] or options["test_commands"] or options["replay"]):
            raise CommandError("choose at least one of --stats, --test-commands, --replay NAME")
        failed = 0
        if options["replay"]:
            self._replay(options["replay"])
        if options["test_commands"]:
            failed = self._test_commands()
        # Last, so it includes what the other flags just did in this process.
        if options["stats"]:
            self._stats()
        if failed:
            raise CommandError(f"{failed} command round trip(s) failed")

    def _replay(self, name: str) -> None:
        try:
            applied = replay(name)
        except NotRegistered:
            known = ", ".join(p.name for p in subscribers.projections()) or "none registered"
            raise CommandError(f"unknown projection {name!r} (projections: {known})") from None
        self.stdout.write(self.style.SUCCESS(f"Replayed {name}: {applied} events applied"))

    def _test_commands(self) -> int:
        results = run_command_samples()
        if not results:
            self.stdout.write("No commands registered.")
        styles = {"pass": self.style.SUCCESS, "fail": self.style.ERROR, "skip": self.style.WARNING}
        for result in results:
            line = f"{result.status.upper():4}  {result.command}  {result.detail}".rstrip()
            self.stdout.write(styles[result.status](line))
        failed = sum(result.status == "fail" for result in results)
        passed = sum(result.status == "pass" for result in results)
        self.stdout.write(
            f"{passed} passed, {failed} failed, {len(results) - passed - failed} skipped"
        )
        return failed

    def _stats(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Dispatched in this process"))
        buses = (("command", "commands", command_bus), ("query", "queries", query_bus))
        for kind, label, bus in buses:
            timings = bus_stats.snapshot(kind)
            total = sum(timing.count for timing in timings.values())
            self.stdout.write(
                f"{label}: {total} dispatched, {len(bus.registrations())} handlers registered"
            )
            for name, timing in timings.items():
                self.stdout.write(f"  {name}  {_timing(timing)}")
        self._store_stats()

    def _store_stats(self) -> None:
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


def _timing(timing: HandlerTiming) -> str:
    return (
        f"count={timing.count} failed={timing.failed} "
        f"mean={timing.mean_seconds * 1000:.2f}ms max={timing.max_seconds * 1000:.2f}ms"
    )
