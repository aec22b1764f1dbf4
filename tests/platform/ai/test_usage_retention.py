"""Retention of `AIUsage`: rows older than AI_USAGE_RETENTION_DAYS go; the year the business
report may read, and today's rows the daily limit counts, stay."""

from __future__ import annotations

import pytest

from studymate_api.ai.accounting import ai_usage_purge, requests_today
from studymate_api.core.models import AIUsage
from studymate_api.core.tasks import purge_ai_usage
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db


def _calls(user, count: int) -> list[AIUsage]:
    return AIUsage.objects.bulk_create(
        AIUsage(user=user, task="summary", provider="local", outcome=AIUsage.Outcome.SUCCESS)
        for _ in range(count)
    )


def test_rows_past_the_window_go_and_the_reported_year_stays(user, settings):
    settings.AI_USAGE_RETENTION_DAYS = 400
    old, within_a_year, today = _calls(user, 3)
    age(AIUsage.objects.filter(pk=old.pk), "created_at", days=401)
    age(AIUsage.objects.filter(pk=within_a_year.pk), "created_at", days=365)

    assert ai_usage_purge() == 1
    assert set(AIUsage.objects.values_list("pk", flat=True)) == {within_a_year.pk, today.pk}
    assert requests_today(user) == 1
    assert ai_usage_purge() == 0


def test_an_ai_usage_purge_is_bounded_per_run(user):
    _calls(user, 5)
    age(AIUsage.objects.all(), "created_at", days=1000)
    assert ai_usage_purge(batch_size=2, max_batches=2) == 4
    assert AIUsage.objects.count() == 1


def test_the_beat_schedule_purges_ai_usage_hourly(user):
    assert_purged_hourly("core-purge-ai-usage", purge_ai_usage)
    _calls(user, 1)
    age(AIUsage.objects.all(), "created_at", days=1000)
    assert purge_ai_usage.apply().get() == 1
