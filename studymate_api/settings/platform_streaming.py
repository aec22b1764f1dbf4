"""Settings of studymate_api.streaming (Redis Streams with REDIS_URL, in-process without)."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

from .environment import env, read_int

# XADD ... MAXLEN ~ N: Redis trims whole macro nodes, so a stream may briefly hold up to
# one node (stream-node-max-entries, 100 by default) more than this.
STREAM_MAX_LENGTH = read_int("STREAM_MAX_LENGTH", default=100_000, minimum=1)
STREAM_BATCH_SIZE = read_int("STREAM_BATCH_SIZE", default=100, minimum=1)
# How long one read waits for new entries; also bounds how long a stop request waits. 0 polls.
STREAM_BLOCK_MS = read_int("STREAM_BLOCK_MS", default=2_000)
# A message handed out this many times without success is moved to `<stream>:dead`.
STREAM_MAX_DELIVERIES = read_int("STREAM_MAX_DELIVERIES", default=5, minimum=1)
# Pending this long on a consumer, a message counts as abandoned and another consumer takes it;
# keep it above the slowest batch a handler can take.
STREAM_CLAIM_IDLE_MS = read_int("STREAM_CLAIM_IDLE_MS", default=60_000, minimum=1)
# A consumer retries its own failed messages once they have waited this long.
STREAM_RETRY_DELAY_MS = read_int("STREAM_RETRY_DELAY_MS", default=1_000)
# The activity stream is split into this many Redis streams by learner; each is read by one
# `stream` process at a time, so more processes than partitions would idle. Fixed per
# deployment: changing it moves learners between partitions (stop every writer and reader,
# let the streams drain, then change it).
STREAM_PARTITIONS = read_int("STREAM_PARTITIONS", default=16, minimum=1)
# A partition's lease: renewed every third of it; a dead process's partitions are taken over
# at most 4/3 of it after its last renewal. Keep it well above a batch's time.
STREAM_LEASE_MS = read_int("STREAM_LEASE_MS", default=15_000, minimum=300)

STREAM_KEY_PREFIX: str = env.str("STREAM_KEY_PREFIX", default="studymate:stream:").strip()
if not re.fullmatch(r"[A-Za-z0-9_.:{}\-]{0,100}", STREAM_KEY_PREFIX):
    raise ImproperlyConfigured(
        "STREAM_KEY_PREFIX: use at most 100 letters, digits and the characters _.:{}- "
        f"(got {STREAM_KEY_PREFIX!r})"
    )

STREAMING_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
