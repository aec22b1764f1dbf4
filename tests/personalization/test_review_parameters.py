"""Per-learner FSRS parameters: the replay the fit optimizes is fsrs's own; the Celery sweep fits
a learner whose log is long enough, and the scheduler then uses their parameters; the workload
shown beside the desired retention. (bench/fsrs_bench.py measures the fits on held-out later
reviews.)"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from typing import Any

import fsrs
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization import memory
from personalization.models import (
    ReviewCard,
    ReviewKind,
    ReviewLog,
    ReviewParameters,
    ReviewSource,
    ReviewState,
)
from personalization.services.reviews import MIN_FIT_RATINGS
from personalization.tasks import fit_review_parameters, fit_review_parameters_due
from study.models import Subject

pytestmark = pytest.mark.django_db
SETTINGS = "/api/study/settings/"
UTC = datetime.UTC
# A learner who forgets fast at first and whose memory decays steeply: far from the defaults.
TRUE_PARAMETERS = memory.clip(
    [w * f for w, f in zip(memory.DEFAULTS, [0.3, 0.3, 0.4, 0.5] + [1.0] * 16 + [3.0], strict=True)]
)


@pytest.mark.parametrize("seed", range(5))
def test_the_replay_is_fsrs_own(seed: int) -> None:
    """Stability, difficulty and every predicted recall as `fsrs.Scheduler` computes them."""
    rng = random.Random(seed)
    for _ in range(40):
        w = memory.clip([x * math.exp(rng.gauss(0, 0.5)) for x in memory.DEFAULTS])
        scheduler = fsrs.Scheduler(parameters=w)
        at = datetime.datetime(2026, 1, 1, tzinfo=UTC)
        card = fsrs.Card(card_id=1, due=at)
        steps: list[memory.Rating] = []
        previous: datetime.datetime | None = None
        expected = 0.0
        for _ in range(rng.randint(2, 12)):
            at += datetime.timedelta(hours=rng.choice([0.05, 3, 20, 30, 90, 400, 2000]))
            rating = rng.randint(1, 4)
            elapsed = None if previous is None else (at - previous).days
            if elapsed is not None and elapsed >= 1:
                p = scheduler.get_card_retrievability(card, at)
                expected -= math.log(p) if rating > 1 else math.log(1 - p)
            card, _log = scheduler.review_card(card, fsrs.Rating(rating), at)
            steps.append(memory.Rating(elapsed, rating))
            previous = at
        state = memory.Memory()
        for step in steps:
            state.rate(w, step.rating, step.elapsed_days)
        assert state.stability == pytest.approx(card.stability, rel=1e-9)
        assert state.difficulty == pytest.approx(card.difficulty, rel=1e-9)
        assert memory.log_loss(w, [steps])[0] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def simulated_log(user: User, subject: Subject, *, cards: int, reviews: int, seed: int) -> None:
    """The learner's review log as a learner with TRUE_PARAMETERS makes it, reviewing each card
    around when the default scheduler says (from half to three times that interval): ReviewCard
    and ReviewLog rows."""
    rng = random.Random(seed)
    start = timezone.now() - datetime.timedelta(days=400)
    made = ReviewCard.objects.bulk_create(
        ReviewCard(
            user=user,
            kind=ReviewKind.CONCEPT,
            subject=subject,
            concept=f"term {i}",
            concept_key=f"term {i}",
            due=start,
        )
        for i in range(cards)
    )
    logs = []
    for index, card in enumerate(made):
        at = start + datetime.timedelta(hours=index)
        state = memory.Memory()
        previous: datetime.datetime | None = None
        for _ in range(reviews):
            if previous is None:
                rating = rng.choice([1, 3, 3, 3])
            else:
                recall = state.recall(TRUE_PARAMETERS, (at - previous).total_seconds() / 86400)
                rating = 3 if rng.random() < recall else 1
            state.rate(TRUE_PARAMETERS, rating, None if previous is None else (at - previous).days)
            logs.append(
                ReviewLog(
                    card=card,
                    rating=rating,
                    source=ReviewSource.REVIEW,
                    state_before=ReviewState.REVIEW,
                    reviewed_at=at,
                    scheduled_due=at,
                    desired_retention=0.9,
                )
            )
            assert state.stability is not None
            days = memory.next_interval_days(memory.DEFAULTS, state.stability, 0.9)
            late = days * rng.choice([0.5, 1.0, 2.0, 3.0])
            previous, at = at, at + datetime.timedelta(days=late, hours=rng.random() * 8)
    ReviewLog.objects.bulk_create(logs)


def test_a_long_enough_log_is_fitted_and_then_schedules_the_learners_reviews(
    auth_client: APIClient, user: User, subject: Subject, celery_in_process: None
) -> None:
    simulated_log(user, subject, cards=110, reviews=6, seed=1)

    assert fit_review_parameters_due.delay().get() == 1  # the sweep hands the learner a fit

    row = ReviewParameters.objects.get(user=user)
    assert memory.valid(row.parameters)
    fitted = tuple(row.parameters)
    assert fitted != memory.DEFAULTS
    assert row.scored_ratings >= MIN_FIT_RATINGS
    # On the log it was fitted to, as close to the truth as the true parameters are.
    assert row.default_loss is not None
    assert row.fitted_loss is not None
    assert row.fitted_loss < row.default_loss - 0.01
    assert row.fitted_at is not None
    assert row.claimed_at is None
    # It moved toward the truth where the truth is far from the defaults.
    assert fitted[20] > memory.DEFAULTS[20]  # a steeper forgetting curve
    assert fitted[0] < memory.DEFAULTS[0]  # a card forgotten at first is less stable

    # Nothing new since: the sweep leaves the learner alone, the task says so.
    assert fit_review_parameters_due.delay().get() == 0
    assert fit_review_parameters.delay(user.pk).get() == "fresh"

    # A review is scheduled with the learner's parameters.
    card = ReviewCard.objects.filter(user=user).first()
    assert card is not None
    last = timezone.now() - datetime.timedelta(days=5)
    ReviewCard.objects.filter(pk=card.pk).update(
        state=ReviewState.REVIEW, step=None, stability=4.0, difficulty=5.0, last_review=last
    )
    response = auth_client.post(f"/api/personalization/reviews/{card.pk}/", {"rating": "good"})
    assert response.status_code == 200, response.content
    card.refresh_from_db()

    def expected(w: tuple[float, ...]) -> float:
        state = memory.Memory(4.0, 5.0)
        state.rate(w, memory.GOOD, 5)
        assert state.stability is not None
        return state.stability

    assert card.stability == pytest.approx(expected(fitted))
    assert card.stability != pytest.approx(expected(memory.DEFAULTS))


def test_a_short_log_keeps_the_defaults(
    user: User, subject: Subject, celery_in_process: None
) -> None:
    simulated_log(user, subject, cards=20, reviews=5, seed=2)  # 80 scored ratings

    assert fit_review_parameters_due.delay().get() == 0
    assert fit_review_parameters.delay(user.pk).get() == "too_few"

    row = ReviewParameters.objects.get(user=user)
    assert (row.parameters, row.fitted_at, row.claimed_at) == ([], None, None)


def test_a_fit_in_progress_keeps_a_second_one_out(user: User, celery_in_process: None) -> None:
    ReviewParameters.objects.create(user=user, claimed_at=timezone.now())
    assert fit_review_parameters.delay(user.pk).get() == "busy"
    # A claim a dead worker left behind expires.
    stale = timezone.now() - datetime.timedelta(hours=1)
    ReviewParameters.objects.filter(user=user).update(claimed_at=stale)
    assert fit_review_parameters.delay(user.pk).get() == "too_few"


def graduated(user: User, subject: Subject, count: int) -> None:
    now = timezone.now()
    ReviewCard.objects.bulk_create(
        ReviewCard(
            user=user,
            kind=ReviewKind.CONCEPT,
            subject=subject,
            concept=f"c{i}",
            concept_key=f"c{i}",
            state=ReviewState.REVIEW,
            step=None,
            stability=3.0 + i % 7,
            difficulty=5.0,
            last_review=now - datetime.timedelta(days=2),
            due=now + datetime.timedelta(days=i % 5),
            reps=3,
            introduced_at=now - datetime.timedelta(days=20),
        )
        for i in range(count)
    )


class TestWorkload:
    """Study settings show the reviews a day their desired retention and new-card limit cost."""

    def test_shown_and_set_with_the_settings(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        empty = auth_client.get(SETTINGS).json()
        assert (empty["desired_retention"], empty["new_cards_per_day"]) == (0.9, 20)
        assert empty["expected_daily_reviews"] == 0.0
        graduated(user, subject, 40)

        low = auth_client.put(SETTINGS, {"desired_retention": 0.8}, format="json")
        high = auth_client.patch(SETTINGS, {"desired_retention": 0.97}, format="json")

        assert low.status_code == high.status_code == 200
        assert 0 < low.json()["expected_daily_reviews"] < high.json()["expected_daily_reviews"]
        assert auth_client.get(SETTINGS).json()["expected_daily_reviews"] == pytest.approx(
            high.json()["expected_daily_reviews"]
        )

    def test_new_cards_add_to_it_at_the_daily_limit(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        graduated(user, subject, 10)
        ReviewCard.objects.bulk_create(
            ReviewCard(
                user=user, kind=ReviewKind.CONCEPT, concept=f"n{i}", concept_key=f"n{i}", due=now
            )
            for i, now in enumerate([timezone.now()] * 60)
        )
        figures = []
        for limit in (0, 5, 20):
            body = auth_client.put(SETTINGS, {"new_cards_per_day": limit}, format="json").json()
            assert body["new_cards_per_day"] == limit
            figures.append(body["expected_daily_reviews"])
        assert figures == sorted(figures)
        assert figures[0] < figures[1] < figures[2]

    def test_a_review_changes_the_etag(
        self,
        auth_client: APIClient,
        user: User,
        make_question: Callable[..., Any],
        graded_answer: Callable[..., Any],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from .conftest import answered

        first = auth_client.get(SETTINGS)
        etag = first.headers["ETag"]
        assert auth_client.get(SETTINGS, HTTP_IF_NONE_MATCH=etag).status_code == 304
        with django_capture_on_commit_callbacks(execute=True):
            answered(graded_answer, user, make_question("medium"), False)  # a new card
        again = auth_client.get(SETTINGS, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 200
        assert again.json()["expected_daily_reviews"] > 0

    @pytest.mark.parametrize("body", [{"new_cards_per_day": -1}, {"new_cards_per_day": 1001}])
    def test_the_new_card_limit_is_validated(self, auth_client: APIClient, body: Any) -> None:
        response = auth_client.put(SETTINGS, body, format="json")
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"new_cards_per_day"}
