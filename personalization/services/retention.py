"""The retention of personalization's claims (`ProcessedAnswer`, `ProcessedActivity`).

A claim is inserted in the transaction that applies an activity to the learner model, so the
same answer or activity is never applied twice. Against redelivery a claim is needed only
briefly: an outbox delivery commits with its `EventDelivery` row, which keeps the event from that
subscriber for as long as the event is unpublished, whatever its age; what the claim adds is
that a duplicate racing the first delivery, or a Celery message redelivered after a worker died
(`record_learning_session`, within the broker's visibility timeout of an hour), changes nothing.
A failing delivery is retried at least hourly (the outbox's backoff stops growing at an hour),
so PERSONALIZATION_CLAIMS_RETENTION_DAYS (30 by default) is far beyond any redelivery that is
not an outage someone has long noticed.

An answer's claim also means "this answer counted once" for as long as the answer exists: the
quiz owner may grade it again at any time (a new AnswerGraded), and the regrade must not fold
it in a second time. So an answer's claim goes only once it is past the window and its answer
has been deleted (with its attempt, its quiz or its learner's account).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef
from django.utils import timezone

from quiz.selectors import answer_exists
from studymate_api.core.retention import delete_in_batches

from ..models import ProcessedActivity, ProcessedAnswer


def claims_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Deletes activity claims older than PERSONALIZATION_CLAIMS_RETENTION_DAYS, and answer
    claims as old whose answer is gone (see the module docstring), each bounded per run;
    returns how many in all."""
    cutoff = timezone.now() - timedelta(days=settings.PERSONALIZATION_CLAIMS_RETENTION_DAYS)
    activities = ProcessedActivity.objects.filter(processed_at__lt=cutoff)
    answers = ProcessedAnswer.objects.filter(processed_at__lt=cutoff).exclude(
        answer_exists(OuterRef("answer_id"))
    )
    bounds = {"batch_size": batch_size, "max_batches": max_batches}
    return delete_in_batches(activities, **bounds) + delete_in_batches(answers, **bounds)
