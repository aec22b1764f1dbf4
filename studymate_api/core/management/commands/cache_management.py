"""Operate the shared cache: health, statistics, invalidation."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studymate_api import cache


class Command(BaseCommand):
    help = (
        "Operate the shared cache. Flags combine and run in this order: --health, --clear, "
        "--invalidate-tag, --stats."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--health",
            action="store_true",
            help="Set, get and delete a key on the configured backend; exit 1 on failure.",
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="Make every cached value a miss (bumps the global generation; other keys, such "
            "as Celery's and Channels', are untouched).",
        )
        parser.add_argument(
            "--invalidate-tag",
            action="append",
            default=[],
            metavar="TAG",
            help="Invalidate a tag in every namespace (repeatable).",
        )
        parser.add_argument(
            "--stats",
            action="store_true",
            help="Print namespace settings, this process's counters and the backend's own view.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actions = ("health", "clear", "invalidate_tag", "stats")
        if not any(options[name] for name in actions):
            raise CommandError("nothing to do: pass --health, --stats, --invalidate-tag or --clear")
        if options["health"]:
            self._health()
        if options["clear"]:
            if not cache.clear_all():
                raise CommandError("clear failed: the cache backend could not be written")
            self.stdout.write("cleared: every cached value is now a miss")
        if options["invalidate_tag"]:
            tags = options["invalidate_tag"]
            if not cache.invalidate_tags(*tags):
                raise CommandError("invalidation failed: the cache backend could not be written")
            self.stdout.write(f"invalidated tags: {', '.join(tags)}")
        if options["stats"]:
            self._stats()

    def _health(self) -> None:
        report = cache.check_health()
        if not report.ok:
            raise CommandError(f"cache unhealthy on {report.backend}: {report.problem}")
        self.stdout.write(f"cache ok: {report.backend}, round trip {report.milliseconds:.1f} ms")

    def _stats(self) -> None:
        for name, value in cache.describe_backend().items():
            self.stdout.write(f"{name}: {value}")
        self.stdout.write("namespace settings (ttl s / stale grace s):")
        for namespace in sorted(settings.CACHE_NAMESPACE_TTLS):
            strategy = cache.SmartCacheStrategy.for_namespace(namespace)
            self.stdout.write(f"  {namespace}: {strategy.ttl:g} / {strategy.stale_grace:g}")
        self.stdout.write("counters of this process (the fleet's are in /metrics/):")
        for namespace, stats in cache.cache_stats().items():
            ratio = "-" if stats.hit_ratio is None else f"{stats.hit_ratio:.1%}"
            self.stdout.write(
                f"  {namespace}: hits={stats.hits} misses={stats.misses} ratio={ratio} "
                f"stale={stats.stale_hits} sets={stats.sets} "
                f"invalidations={stats.invalidations} errors={stats.errors} "
                f"recomputes={stats.recomputes} recompute_s={stats.recompute_seconds:.3f}"
            )
