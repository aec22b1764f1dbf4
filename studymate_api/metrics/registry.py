"""What a scrape reads: the default registry, or every process's files in multiprocess mode,
plus the collectors computed at scrape time."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .buffer import BufferUnavailable, event_buffer

_collectors: list[Collector] = []


def multiprocess_dir() -> str | None:
    """prometheus_client decides file-backed values from the environment when it is imported,
    so the exposition follows the same variable rather than a setting."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def register_collector(collector: Collector) -> None:
    """Adds a collector computed at scrape time (in-process stats, queue lengths).

    Module-level Counter/Gauge/Histogram objects need no registration. In multiprocess mode a
    collector registered here reports the scraping process's view only.
    """
    if collector in _collectors:
        return
    _collectors.append(collector)
    if multiprocess_dir() is None:
        REGISTRY.register(collector)


def scrape_registry() -> CollectorRegistry:
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    for collector in _collectors:
        registry.register(collector)
    return registry


def render_metrics(accept: str | None = None) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(accept or "")
    return encoder(scrape_registry()), content_type


class EventBufferCollector(Collector):
    """Events waiting in the buffer, read live (the buffer is shared by every process)."""

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        buffer = event_buffer()
        try:
            family.add_metric([buffer.backend], buffer.size())
        except BufferUnavailable:
            return []
        return [family]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "studymate_event_buffer_size",
            "Tracked events waiting for the flush, by buffer backend.",
            labels=["backend"],
        )


register_collector(EventBufferCollector())
