"""Settings of studymate_api.core.idempotency (`Idempotency-Key` on POSTs that spend or start)."""

from __future__ import annotations

from .environment import read_int

# How long a stored response answers retries of its key (Stripe's 24 hours).
IDEMPOTENCY_KEY_TTL_SECONDS = read_int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600, minimum=60)
# A request holding a key for longer than this is taken for dead (its process crashed) and a
# retry runs instead. Longer than any request may run: a summary generated in the request waits
# for the AI gateway (30 s timeouts, fallbacks and retries), so five minutes.
IDEMPOTENCY_LEASE_SECONDS = read_int("IDEMPOTENCY_LEASE_SECONDS", default=300, minimum=1)
# Expired keys one purge deletes at most, so a backlog never outlives the task's time limit.
IDEMPOTENCY_PURGE_BATCH_SIZE = read_int("IDEMPOTENCY_PURGE_BATCH_SIZE", default=5000, minimum=1)

IDEMPOTENCY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "core-purge-idempotency-keys": {
        "task": "studymate_api.core.purge_idempotency_keys",
        "schedule": 3600.0,
        # A purge still queued when the next is due is redundant.
        "options": {"expires": 3600.0},
    },
}
