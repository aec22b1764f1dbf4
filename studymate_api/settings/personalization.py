"""Settings of the personalization app."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import read_int

# Claims that an answer or activity was applied to the learner model guard against a redelivery
# for minutes (a delivery commits with its outbox record; a Celery message comes back within the
# broker's hour); 30 days is far past that, even past a failing delivery retried hourly for
# weeks. An answer's claim stays while the answer exists (a regrade must not count it twice).
# Beat deletes them (`personalization.purge_claims`); see personalization.services.retention.
PERSONALIZATION_CLAIMS_RETENTION_DAYS = read_int(
    "PERSONALIZATION_CLAIMS_RETENTION_DAYS", default=30, minimum=2
)

# A summary makes at most this many new concept cards: its most important concepts the learner
# has no card for yet in the subject. Every card is a review a day for weeks, so a summary's 8
# key ideas rather than every term it mentions; at most 50 (more is a glossary, not a review).
REVIEW_MAX_CARDS_PER_SUMMARY = read_int("REVIEW_MAX_CARDS_PER_SUMMARY", default=8, minimum=1)
if REVIEW_MAX_CARDS_PER_SUMMARY > 50:
    raise ImproperlyConfigured(
        f"REVIEW_MAX_CARDS_PER_SUMMARY: must be at most 50, got {REVIEW_MAX_CARDS_PER_SUMMARY}"
    )

PERSONALIZATION_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Learners whose review log has grown enough get their FSRS parameters (re)fitted.
    "personalization-fit-review-parameters": {
        "task": "personalization.fit_review_parameters_due",
        "schedule": 3600.0,
    },
    "personalization-purge-claims": {
        "task": "personalization.purge_claims",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
