"""Writes of spaced review: cards from wrong answers and summaries' key concepts, and ratings
scheduled with FSRS (the `fsrs` package) at the learner's desired retention.

Cards are created idempotently: the unique constraints (one card per user and question, one per
user, subject and concept) make a repeated event find its card instead of adding another.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import fsrs
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from study.selectors import study_settings_preferences, summary_key_concepts

from ..caching import personalization_invalidate_on_commit
from ..models import ReviewCard, ReviewKind, ReviewLog, ReviewRating, ReviewSource, ReviewState
from ..selectors.knowledge import GradedAnswer
from ..selectors.reviews import review_card_locked

if TYPE_CHECKING:
    from accounts.models import User
    from study.events import SummaryPayload


RATINGS = {
    "again": ReviewRating.AGAIN,
    "hard": ReviewRating.HARD,
    "good": ReviewRating.GOOD,
    "easy": ReviewRating.EASY,
}
# A summary yields at most this many concept cards: the key ones, not every noun.
MAX_CONCEPTS_PER_SUMMARY = 10
CONTEXT_CHARS = 500
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")


def _utc(moment: datetime.datetime) -> datetime.datetime:
    # fsrs insists on tzinfo being exactly datetime.UTC.
    return moment.astimezone(datetime.UTC)


def review_scheduler(*, desired_retention: float) -> fsrs.Scheduler:
    return fsrs.Scheduler(desired_retention=desired_retention)


def _fsrs_card(card: ReviewCard) -> fsrs.Card:
    return fsrs.Card(
        card_id=card.pk,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=_utc(card.last_review) if card.last_review else None,
    )


def _apply_rating(
    card: ReviewCard,
    rating: ReviewRating,
    *,
    at: datetime.datetime,
    source: str,
    retention: float | None = None,
) -> ReviewLog:
    """`retention`: the learner's desired retention, when the caller has read it already."""
    if retention is None:
        retention = study_settings_preferences(user=card.user).desired_retention
    before = card.state
    scheduled, _log = review_scheduler(desired_retention=retention).review_card(
        _fsrs_card(card), fsrs.Rating(rating), review_datetime=_utc(at)
    )
    card.state, card.step = int(scheduled.state), scheduled.step
    card.stability, card.difficulty = scheduled.stability, scheduled.difficulty
    card.due, card.last_review = scheduled.due, scheduled.last_review
    card.reps += 1
    if rating == ReviewRating.AGAIN and before == ReviewState.REVIEW:
        card.lapses += 1
    card.save(
        update_fields=[
            "state",
            "step",
            "stability",
            "difficulty",
            "due",
            "last_review",
            "reps",
            "lapses",
            "updated_at",
        ]
    )
    return ReviewLog.objects.create(
        card=card,
        rating=rating,
        source=source,
        state_before=before,
        reviewed_at=at,
        scheduled_due=card.due,
        stability=card.stability,
        difficulty=card.difficulty,
        desired_retention=retention,
    )


def review_card_rate(*, user: User, card_id: int, rating: str) -> ReviewCard:
    """Schedules the learner's card from their rating. Another learner's card, or one whose
    question they can no longer see, is not found."""
    with transaction.atomic():
        card = review_card_locked(user=user, card_id=card_id)
        _apply_rating(card, RATINGS[rating], at=timezone.now(), source=ReviewSource.REVIEW)
        personalization_invalidate_on_commit(user.pk)
    return card


def review_cards_from_wrong_answers(wrong: Iterable[GradedAnswer]) -> None:
    """A new card for each question answered wrong, all in one INSERT; a question that already
    has the learner's card lapses instead (rated "again" now). Call once per answer (the
    knowledge update claims the answers first)."""
    now = timezone.now()
    cards = {
        (answer.user_id, answer.question_id): ReviewCard(
            user_id=answer.user_id,
            kind=ReviewKind.QUESTION,
            question_id=answer.question_id,
            subject_id=answer.subject_id,
            due=now,
        )
        for answer in wrong
    }
    if not cards:
        return
    created = set(_insert_new(list(cards.values()), returning=("user_id", "question_id")))
    lapsed = [key for key in cards if key not in created]
    if lapsed:
        in_lapsed = Q()
        for user_id, question_id in lapsed:
            in_lapsed |= Q(user_id=user_id, question_id=question_id)
        existing = ReviewCard.objects.select_related("user").filter(
            in_lapsed, kind=ReviewKind.QUESTION
        )
        retention: dict[int, float] = {}
        for card in existing.order_by("pk"):
            if card.user_id not in retention:
                preferences = study_settings_preferences(user=card.user)
                retention[card.user_id] = preferences.desired_retention
            _apply_rating(
                card,
                ReviewRating.AGAIN,
                at=now,
                source=ReviewSource.QUIZ,
                retention=retention[card.user_id],
            )
    for user_id in sorted({user_id for user_id, _question in cards}):
        personalization_invalidate_on_commit(user_id)


def review_cards_from_summary(*, summary_id: int, completed: SummaryPayload | None = None) -> int:
    """A card for each key concept of a completed summary, as study lists them (no AI call of
    ours; `completed`, its SummaryCompleted payload, spares reading the summary). Returns how
    many cards were created; a repeat creates none. One INSERT: the unique constraint turns a
    card the learner has into nothing."""
    summary = summary_key_concepts(summary_id=summary_id, completed=completed)
    if summary is None:
        return 0
    now = timezone.now()
    cards = {}
    for concept in summary.concepts[:MAX_CONCEPTS_PER_SUMMARY]:
        text = concept.strip()[:200]
        key = text.casefold()
        if key and key not in cards:
            cards[key] = ReviewCard(
                user_id=summary.user_id,
                kind=ReviewKind.CONCEPT,
                summary_id=summary.summary_id,
                subject_id=summary.subject_id,
                concept=text,
                concept_key=key,
                context=_context(text, summary.text, summary.source),
                due=now,
            )
    created = len(_insert_new(list(cards.values()), returning=("id",)))
    if created:
        personalization_invalidate_on_commit(summary.user_id)
    return created


def _insert_new(cards: list[ReviewCard], *, returning: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returning` (column names): the rows of the
    cards that were new. Django's bulk_create(ignore_conflicts=True) cannot say which."""
    if not cards:
        return []
    meta = ReviewCard._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(card, True), connection)
        for card in cards
        for field in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    rows = ", ".join([row] * len(cards))
    # Identifiers from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows}"  # noqa: S608
        f" ON CONFLICT DO NOTHING RETURNING {', '.join(quote(name) for name in returning)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [tuple(row) for row in cursor.fetchall()]


def _context(concept: str, *texts: str) -> str:
    """The first sentence of the summary (else the source) that mentions the concept."""
    key = concept.casefold()
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            if key in sentence.casefold():
                return sentence.strip()[:CONTEXT_CHARS]
    return ""
