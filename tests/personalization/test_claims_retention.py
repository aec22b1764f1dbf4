"""Retention of personalization's claims: activity claims go after
PERSONALIZATION_CLAIMS_RETENTION_DAYS; an answer's claim goes only once it is that old and its
answer is gone, since a regrade of a stored answer must still not count it twice."""

from __future__ import annotations

import pytest

from personalization.models import ProcessedActivity, ProcessedAnswer
from personalization.services import claims_purge, knowledge_update_from_answer
from personalization.tasks import purge_claims
from tests.personalization.conftest import answered
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db


def _activities(*keys: str) -> None:
    ProcessedActivity.objects.bulk_create(ProcessedActivity(key=key) for key in keys)


def test_old_activity_claims_go_and_recent_ones_stay(settings):
    settings.PERSONALIZATION_CLAIMS_RETENTION_DAYS = 30
    _activities("event:1", "session:2", "event:3")
    age(ProcessedActivity.objects.exclude(key="event:3"), "processed_at", days=31)
    age(ProcessedActivity.objects.filter(key="event:3"), "processed_at", days=29)

    assert claims_purge() == 2
    assert list(ProcessedActivity.objects.values_list("key", flat=True)) == ["event:3"]
    assert claims_purge() == 0


def test_an_answer_claim_goes_once_old_and_its_answer_is_gone(
    user, make_question, graded_answer, settings
):
    settings.PERSONALIZATION_CLAIMS_RETENTION_DAYS = 30
    kept, deleted_lately, deleted_long_ago = (
        answered(graded_answer, user, make_question(), True) for _ in range(3)
    )
    age(ProcessedAnswer.objects.exclude(answer_id=deleted_lately.pk), "processed_at", days=31)
    age(ProcessedAnswer.objects.filter(answer_id=deleted_lately.pk), "processed_at", days=29)
    deleted_lately.attempt.delete()
    deleted_long_ago.attempt.delete()

    assert claims_purge() == 1
    claimed = set(ProcessedAnswer.objects.values_list("answer_id", flat=True))
    assert claimed == {kept.pk, deleted_lately.pk}
    # The stored answer, graded again after the window, still counts once.
    assert knowledge_update_from_answer(answer_id=kept.pk) is False


def test_a_claims_purge_is_bounded_per_run():
    _activities(*(f"event:{n}" for n in range(5)))
    age(ProcessedActivity.objects.all(), "processed_at", days=365)
    assert claims_purge(batch_size=2, max_batches=2) == 4
    assert ProcessedActivity.objects.count() == 1


def test_the_beat_schedule_purges_claims_hourly(settings):
    settings.PERSONALIZATION_CLAIMS_RETENTION_DAYS = 2
    assert_purged_hourly("personalization-purge-claims", purge_claims)
    _activities("event:1")
    age(ProcessedActivity.objects.all(), "processed_at", days=3)
    assert purge_claims.apply().get() == 1
