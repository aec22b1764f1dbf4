"""Settings of studymate_api.cqrs."""

from __future__ import annotations

from .environment import read_int

# How often beat sweeps the outbox for events that were not (fully) delivered after commit.
CQRS_OUTBOX_INTERVAL_SECONDS = read_int("CQRS_OUTBOX_INTERVAL_SECONDS", default=30, minimum=1)
# Events one sweep handles at most, so a backlog never outlives the task's time limit.
CQRS_OUTBOX_BATCH_SIZE = read_int("CQRS_OUTBOX_BATCH_SIZE", default=100, minimum=1)
# A failed delivery is retried after this, doubling with each failure up to an hour.
CQRS_OUTBOX_RETRY_BACKOFF_SECONDS = read_int(
    "CQRS_OUTBOX_RETRY_BACKOFF_SECONDS", default=30, minimum=0
)
# Appends to one aggregate that lose a race for the next sequence number retry this many times.
CQRS_APPEND_MAX_ATTEMPTS = read_int("CQRS_APPEND_MAX_ATTEMPTS", default=10, minimum=1)
# A published event's delivery rows are kept this long, then beat deletes them
# (`studymate_api.cqrs.purge_deliveries`): nothing reads them once the event is published, so
# the days are only for whoever inspects a delivery in the admin. Unpublished events keep
# theirs, and the events themselves are never deleted.
CQRS_DELIVERY_RETENTION_DAYS = read_int("CQRS_DELIVERY_RETENTION_DAYS", default=30, minimum=1)

CQRS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "cqrs-publish-outbox": {
        "task": "studymate_api.cqrs.publish_outbox",
        "schedule": float(CQRS_OUTBOX_INTERVAL_SECONDS),
        # A sweep still queued when the next one is due is redundant.
        "options": {"expires": float(CQRS_OUTBOX_INTERVAL_SECONDS)},
    },
    "cqrs-purge-deliveries": {
        "task": "studymate_api.cqrs.purge_deliveries",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
