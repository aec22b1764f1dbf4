"""Tunables of a StreamProcessor, read from Django settings or given directly (tests, bench)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class StreamConfig:
    max_length: int = 100_000
    batch_size: int = 100
    block_ms: int = 2_000
    max_deliveries: int = 5
    claim_idle_ms: int = 60_000
    retry_delay_ms: int = 1_000
    key_prefix: str = "studymate:stream:"
    partitions: int = 16  # of a partitioned stream: fixed per deployment (see partitions)
    lease_ms: int = 15_000  # a partition's lease; a dead owner's partitions move after this

    def __post_init__(self) -> None:
        for name in (
            "max_length",
            "batch_size",
            "max_deliveries",
            "claim_idle_ms",
            "partitions",
            "lease_ms",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"StreamConfig.{name} must be at least 1")
        for name in ("block_ms", "retry_delay_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"StreamConfig.{name} must not be negative")

    @classmethod
    def from_settings(cls) -> StreamConfig:
        return cls(
            max_length=settings.STREAM_MAX_LENGTH,
            batch_size=settings.STREAM_BATCH_SIZE,
            block_ms=settings.STREAM_BLOCK_MS,
            max_deliveries=settings.STREAM_MAX_DELIVERIES,
            claim_idle_ms=settings.STREAM_CLAIM_IDLE_MS,
            retry_delay_ms=settings.STREAM_RETRY_DELAY_MS,
            key_prefix=settings.STREAM_KEY_PREFIX,
            partitions=settings.STREAM_PARTITIONS,
            lease_ms=settings.STREAM_LEASE_MS,
        )
