"""Operate the shared cache: health, statistics, warming, invalidation."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studymate_api import cache


class Command(BaseCommand):
    help = (
        "Operate the shared cache. Flags combine and run in this order: --health, --clear, "
        "--invalidate-tag, --warm/--warm-all, --stats."
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
            "--warm",
            action="append",
            default=[],
            metavar="NAMESPACE",
            help="Run a namespace's warmers.",
        )
        parser.add_argument("--warm-all", action="store_true", help="Run every registered warmer.")
        parser.add_argument(
            "--stats",
            action="store_true",
            help="Print namespace settings, this process's counters and the backend's own view.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actions = ("health", "clear", "invalidate_tag", "warm", "warm_all", "stats")
        if not any(options[name] for name in actions):
            raise CommandError(
                "nothing to do: pass --health, --stats, --warm-all, --warm, "
                "--invalidate-tag or --clear"
            )
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
        if options["warm"] or options["warm_all"]:
            self._warm(options["warm"], everything=options["warm_all"])
        if options["stats"]:
            self._stats()

    def _health(self) -> None:
        report = cache.check_health()
        if not report.ok:
            raise CommandError(f"cache unhealthy on {report.backend}: {report.problem}")
        self.stdout.write(f"cache ok: {report.backend}, round trip {report.milliseconds:.1f} ms")

    def _warm(self, namespaces: list[str], *, everything: bool) -> None:
        try:
            results = (
                cache.warm_all()
                if everything
                else [result for namespace in namespaces for result in cache.warm(namespace)]
            )
        except LookupError as error:
            raise CommandError(str(error)) from None
        if not results:
            self.stdout.write("no cache warmers are registered")
        for result in results:
            outcome = "ok" if result.ok else f"FAILED {result.error}"
            entries = "" if result.entries is None else f", {result.entries} entries"
            timing = f"{result.seconds:.2f} s"
            self.stdout.write(
                f"warm {result.namespace} {result.warmer}: {outcome}{entries}, {timing}"
            )
        failed = [result for result in results if not result.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} warmers failed")

    def _stats(self) -> None:
        for name, value in cache.describe_backend().items():
            self.stdout.write(f"{name}: {value}")
        self.stdout.write("namespace settings (ttl s / stale grace s):")
        configured = sorted(set(settings.CACHE_NAMESPACE_TTLS) | set(cache.warmer_namespaces()))
        for namespace in configured:
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
