"""Writes of spaced review: cards from wrong answers and summaries' key concepts, and ratings
scheduled with FSRS (the `fsrs` package) at the learner's desired retention.

Cards are created idempotently: the unique constraints (one card per user and question, one per
user, subject and concept) make a repeated event find its card instead of adding another.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

import fsrs
import structlog
from django.db import transaction
from django.utils import timezone

from study.selectors import study_settings_preferences, summary_key_concepts
from studymate_api.ai import AIError, AITask, ConceptList, GenerateOptions, TextInput, generate

from ..caching import personalization_invalidate_on_commit
from ..models import ReviewCard, ReviewKind, ReviewLog, ReviewRating, ReviewSource, ReviewState
from ..selectors.reviews import review_card_locked

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)

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
    card: ReviewCard, rating: ReviewRating, *, at: datetime.datetime, source: str
) -> ReviewLog:
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


def review_card_from_wrong_answer(
    *, user_id: int, question_id: int, subject_id: int | None
) -> ReviewCard:
    """A new card for a question answered wrong; answering it wrong again while it already has
    a card is a lapse: rated "again" now. Call once per answer (the knowledge update claims
    the answer first)."""
    card, created = ReviewCard.objects.select_related("user").get_or_create(
        user_id=user_id,
        kind=ReviewKind.QUESTION,
        question_id=question_id,
        defaults={"subject_id": subject_id, "due": timezone.now()},
    )
    if not created:
        _apply_rating(card, ReviewRating.AGAIN, at=timezone.now(), source=ReviewSource.QUIZ)
    personalization_invalidate_on_commit(user_id)
    return card


def review_cards_from_summary(*, summary_id: int) -> int:
    """A card for each key concept of a completed summary: its own list for key-concept
    summaries, else the concepts the local (offline) extractor finds in the summary. Returns how
    many cards were created; a repeat creates none."""
    summary = summary_key_concepts(summary_id=summary_id)
    if summary is None:
        return 0
    concepts = summary.concepts
    if concepts is None:
        concepts = _extract_concepts(summary.text or summary.source)
    now = timezone.now()
    cards = {}
    for concept in concepts[:MAX_CONCEPTS_PER_SUMMARY]:
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
    existing = set(
        ReviewCard.objects.filter(
            user_id=summary.user_id,
            kind=ReviewKind.CONCEPT,
            subject_id=summary.subject_id,
            concept_key__in=list(cards),
        ).values_list("concept_key", flat=True)
    )
    new = [card for key, card in cards.items() if key not in existing]
    ReviewCard.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        personalization_invalidate_on_commit(summary.user_id)
    return len(new)


def _extract_concepts(text: str) -> tuple[str, ...]:
    """The local provider's key-concept extraction: offline, free, no learner credits."""
    if not text.strip():
        return ()
    options = GenerateOptions(provider="local", fallback=False)
    try:
        result = generate(AITask.KEY_CONCEPTS, TextInput(text), options=options)
    except AIError:
        logger.warning("review_concepts_extraction_failed", exc_info=True)
        return ()
    return tuple(result.structured(ConceptList).concepts)


def _context(concept: str, *texts: str) -> str:
    """The first sentence of the summary (else the source) that mentions the concept."""
    key = concept.casefold()
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            if key in sentence.casefold():
                return sentence.strip()[:CONTEXT_CHARS]
    return ""
