"""Settings of studymate_api.cache: which cache it uses, how long each namespace lives.

Values are in seconds. A namespace that is not listed gets CACHE_DEFAULT_TTL and no stale grace.
"""

from __future__ import annotations

# The Django cache alias (see settings/cache.py) that TaggedCache stores into.
CACHE_ALIAS = "default"

CACHE_DEFAULT_TTL = 300

# How long a value is fresh. Short where users expect to see their own writes quickly (tags make
# that exact anyway), long where the value is expensive and changes rarely.
CACHE_NAMESPACE_TTLS: dict[str, int] = {
    "subjects": 600,
    "progress": 120,
    "recommendations": 900,
}

# Stale-while-revalidate: for this long after its TTL a value is still served while one caller
# recomputes it. Only for values that are expensive (AI output, aggregations) and where a
# slightly old answer is harmless; tag invalidation always wins over grace.
CACHE_NAMESPACE_STALE_GRACE: dict[str, int] = {
    "recommendations": 600,
}

# A recompute lock expires after this long, so a worker that dies while computing blocks the
# others for at most this; it must exceed the slowest compute that should stay single-flight.
CACHE_LOCK_TIMEOUT = 30

# How long a caller that lost the recompute race waits for the winner's value before it gives up
# and computes on its own (it never waits when a stale value can be served).
CACHE_LOCK_WAIT = 2.0

# XFetch beta for probabilistic early refresh; 0 turns it off, 1 is the paper's default.
CACHE_EARLY_REFRESH_BETA = 1.0

# Tag version keys expire after this long; an entry whose tag version expired is simply a miss,
# so this only bounds how many version keys Redis keeps, never correctness.
CACHE_TAG_VERSION_TTL = 7 * 24 * 3600
