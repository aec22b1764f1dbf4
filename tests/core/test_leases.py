"""Generation leases (`studymate_api.core.leases`): a holder's thread renews its claim while it
works and stops once the row no longer holds its token; over a real database connection of its
own (a transactional test: the thread must see committed rows)."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from study.models import StudySummary
from studymate_api.core.leases import new_claim_token, renewing
from tests.study.factories import SubjectFactory

pytestmark = pytest.mark.django_db(transaction=True)
BEAT = datetime.timedelta(milliseconds=50)


def claimed_summary(user: User, token: uuid.UUID, claimed_at: datetime.datetime) -> StudySummary:
    subject = SubjectFactory.create(created_by=user)
    return StudySummary.objects.create(
        user=user,
        subject=subject,
        content="material " * 10,
        summary_type="brief",
        claimed_at=claimed_at,
        claim_token=token,
    )


def test_the_holder_renews_its_claim_while_it_works(user: User) -> None:
    token = new_claim_token()
    started = timezone.now() - datetime.timedelta(minutes=5)
    summary = claimed_summary(user, token, started)
    with renewing(StudySummary, summary.pk, token, every=BEAT):
        time.sleep(0.4)
        summary.refresh_from_db()
        assert summary.claimed_at is not None
        assert summary.claimed_at > timezone.now() - datetime.timedelta(seconds=1)
    renewed = summary.claimed_at
    time.sleep(0.2)
    summary.refresh_from_db()
    assert summary.claimed_at == renewed  # the block ended: no more renewals


def test_a_claim_taken_over_is_not_renewed(user: User) -> None:
    token = new_claim_token()
    started = timezone.now() - datetime.timedelta(minutes=5)
    summary = claimed_summary(user, token, started)
    StudySummary.objects.filter(pk=summary.pk).update(claim_token=new_claim_token())
    with renewing(StudySummary, summary.pk, token, every=BEAT):
        time.sleep(0.3)
    summary.refresh_from_db()
    assert summary.claimed_at == started
