"""Writes of spaced review: cards from wrong answers and summaries' key concepts; reviews
scheduled with FSRS (the `fsrs` package) at the learner's desired retention with their own
parameters once fitted; graded quiz answers as reviews; suspending and deleting cards; fitting a
learner's parameters from their review log (a Celery task's work, never a request's).

Cards are created idempotently: the unique constraints (one card per user and question, one per
user, subject and concept) make a repeated event find its card instead of adding another.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import fsrs
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from study.selectors import study_settings_preferences, summary_key_concepts
from studymate_api.core.errors import Conflict
from studymate_api.core.text_matching import comparison_key

from .. import memory
from ..caching import personalization_invalidate_on_commit
from ..models import (
    ReviewCard,
    ReviewKind,
    ReviewLog,
    ReviewParameters,
    ReviewRating,
    ReviewSource,
    ReviewState,
)
from ..selectors.knowledge import GradedAnswer
from ..selectors.reviews import (
    concept_pattern,
    review_card_locked,
    review_cards_for_answers,
    review_concepts_carded,
    review_histories,
    review_parameters_of,
)

if TYPE_CHECKING:
    from accounts.models import User
    from study.events import SummaryPayload


RATINGS = {
    "again": ReviewRating.AGAIN,
    "hard": ReviewRating.HARD,
    "good": ReviewRating.GOOD,
    "easy": ReviewRating.EASY,
}
# A correct quiz answer is "easy" when it came fast: within half the question's expected time,
# or, where no expected time is known (quiz tells none yet), within EASY_WITHIN_SECONDS. Anything
# slower is "good"; a wrong answer is "again". ("hard" stays the learner's own rating.)
EASY_SHARE_OF_EXPECTED = 0.5
EASY_WITHIN_SECONDS = 10.0
# A summary that is not a key-concept list is mined for this many concepts per card of the cap
# (REVIEW_MAX_CARDS_PER_SUMMARY): the ones past the cap replace concepts the learner has cards
# for, and a card never comes from further down the ranking than that (where terms are noise).
MINED_PER_CARD = 2
CONTEXT_CHARS = 500
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
_WORD = re.compile(r"\w{2,}")
# Fitting (see `review_parameters_fit`): a learner's own parameters once their log holds this
# many scored ratings (a day or more after the card's previous one). bench/fsrs_bench.py, on
# held-out later reviews of 8 simulated learners: a fit on 200 beat the defaults for 4 of them
# (a coin flip), on 400 for 7 (and on the mean), on ~4,500 for all 8.
# (The fit is not checked again per learner: on a few hundred ratings a held-out check is
# noise, and the prior around the defaults keeps a short log's fit near them.)
MIN_FIT_RATINGS = 400
# Refit once the log has grown by this many ratings since the last fit.
REFIT_EVERY = 250
# The fit reads at most this many ratings: the cards most recently introduced, whole (CPU time
# grows with the log: ~20 s for 7,000 ratings on one core).
FIT_MAX_RATINGS = 20_000
# A claim older than this is a fit whose worker died: another may start.
FIT_CLAIM_STALE = datetime.timedelta(minutes=15)

_CARD_FIELDS = [
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "introduced_at",
    "updated_at",
]


def _utc(moment: datetime.datetime) -> datetime.datetime:
    # fsrs insists on tzinfo being exactly datetime.UTC.
    return moment.astimezone(datetime.UTC)


def review_scheduler(
    *, desired_retention: float, parameters: Sequence[float] = memory.DEFAULTS
) -> fsrs.Scheduler:
    return fsrs.Scheduler(parameters=parameters, desired_retention=desired_retention)


def _learner_scheduler(user: User) -> fsrs.Scheduler:
    """The learner's desired retention (one query) and parameters (joined to the card)."""
    retention = study_settings_preferences(user=user).desired_retention
    return review_scheduler(desired_retention=retention, parameters=review_parameters_of(user))


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


def _review(
    card: ReviewCard,
    rating: ReviewRating,
    *,
    at: datetime.datetime,
    source: str,
    scheduler: fsrs.Scheduler,
) -> ReviewLog:
    """Schedules the card from the rating (in memory) and returns its log row, unsaved: the
    caller writes cards and logs, one at a time or in bulk."""
    before = card.state
    scheduled, _log = scheduler.review_card(
        _fsrs_card(card), fsrs.Rating(rating), review_datetime=_utc(at)
    )
    card.state, card.step = int(scheduled.state), scheduled.step
    card.stability, card.difficulty = scheduled.stability, scheduled.difficulty
    card.due, card.last_review = scheduled.due, scheduled.last_review
    if card.reps == 0:
        card.introduced_at = at
    card.reps += 1
    if rating == ReviewRating.AGAIN and before == ReviewState.REVIEW:
        card.lapses += 1
    card.updated_at = at  # bulk_update does not stamp auto_now fields
    return ReviewLog(
        card=card,
        rating=rating,
        source=source,
        state_before=before,
        reviewed_at=at,
        scheduled_due=card.due,
        stability=card.stability,
        difficulty=card.difficulty,
        desired_retention=scheduler.desired_retention,
    )


def review_card_rate(*, user: User, card_id: int, rating: str) -> ReviewCard:
    """Schedules the learner's card from their rating. Another learner's card, or one whose
    question they can no longer see, is not found; a suspended one is a conflict."""
    with transaction.atomic():
        card = review_card_locked(user=user, card_id=card_id)
        if card.suspended_at is not None:
            raise Conflict(_("This card is suspended: unsuspend it to review it."))
        scheduler = _learner_scheduler(card.user)
        log = _review(
            card,
            RATINGS[rating],
            at=timezone.now(),
            source=ReviewSource.REVIEW,
            scheduler=scheduler,
        )
        card.save(update_fields=_CARD_FIELDS)
        log.save()
        personalization_invalidate_on_commit(user.pk)
    return card


def review_card_suspend(*, user: User, card_id: int, suspended: bool) -> ReviewCard:
    """Suspends (or unsuspends) the learner's card: a suspended card is never due and quiz
    answers leave it alone; it keeps its schedule for when it comes back. Idempotent."""
    with transaction.atomic():
        card = review_card_locked(user=user, card_id=card_id)
        if suspended != (card.suspended_at is not None):
            card.suspended_at = timezone.now() if suspended else None
            card.save(update_fields=["suspended_at", "updated_at"])
            personalization_invalidate_on_commit(user.pk)
    return card


def review_card_delete(*, user: User, card_id: int) -> None:
    """Deletes the learner's card and its review log. A question answered wrong again makes a
    new card."""
    with transaction.atomic():
        card = review_card_locked(user=user, card_id=card_id)
        card.delete()
        personalization_invalidate_on_commit(user.pk)


def answer_rating(
    *, correct: bool, seconds: float | None, expected_seconds: float | None = None
) -> ReviewRating:
    """The review a graded answer counts as (see EASY_SHARE_OF_EXPECTED)."""
    if not correct:
        return ReviewRating.AGAIN
    if seconds is None:
        return ReviewRating.GOOD
    fast = (
        seconds <= EASY_SHARE_OF_EXPECTED * expected_seconds
        if expected_seconds
        else seconds <= EASY_WITHIN_SECONDS
    )
    return ReviewRating.EASY if fast else ReviewRating.GOOD


def review_cards_from_answers(answers: Iterable[GradedAnswer]) -> None:
    """Every graded answer is a review of the learner's cards it touches: the card of its
    question and the concept cards of its topics in its subject (suspended ones aside), rated by
    `answer_rating`. A card several answers touch is reviewed once: "again" if any was wrong,
    else the lowest of their ratings. A question answered wrong that has no card gets one (new,
    due now). Call once per answer (the knowledge update claims the answers first).

    Batched: one locking read of the cards (with their learners' parameters), one INSERT of new
    cards, and for the reviewed ones the learner's settings, one UPDATE and one INSERT of logs."""
    batch = list(answers)
    if not batch:
        return
    now = timezone.now()
    cards = review_cards_for_answers(batch)
    by_question = {
        (card.user_id, card.question_id): card for card in cards if card.kind == ReviewKind.QUESTION
    }
    by_concept = {
        (card.user_id, card.subject_id, card.concept_key): card
        for card in cards
        if card.kind == ReviewKind.CONCEPT
    }
    ratings: dict[int, ReviewRating] = {}
    created: dict[tuple[int, int], ReviewCard] = {}
    for answer in batch:
        rating = answer_rating(correct=answer.correct, seconds=answer.seconds)
        touched = [
            by_concept.get((answer.user_id, answer.subject_id, key)) for key in _keys(answer)
        ]
        question_card = by_question.get((answer.user_id, answer.question_id))
        touched.append(question_card)
        if question_card is None and not answer.correct:
            created[(answer.user_id, answer.question_id)] = ReviewCard(
                user_id=answer.user_id,
                kind=ReviewKind.QUESTION,
                question_id=answer.question_id,
                subject_id=answer.subject_id,
                due=now,
            )
        for card in touched:
            if card is not None:
                ratings[card.pk] = min(ratings.get(card.pk, rating), rating)
    _insert_new(list(created.values()), returning=("id",))
    reviewed = [card for card in cards if card.pk in ratings]
    schedulers: dict[int, fsrs.Scheduler] = {}
    logs = []
    for card in reviewed:
        if card.user_id not in schedulers:
            schedulers[card.user_id] = _learner_scheduler(card.user)
        logs.append(
            _review(
                card,
                ratings[card.pk],
                at=now,
                source=ReviewSource.QUIZ,
                scheduler=schedulers[card.user_id],
            )
        )
    if reviewed:
        ReviewCard.objects.bulk_update(reviewed, _CARD_FIELDS)
        ReviewLog.objects.bulk_create(logs)
    for user_id in sorted({answer.user_id for answer in batch}):
        personalization_invalidate_on_commit(user_id)


def _keys(answer: GradedAnswer) -> list[str]:
    return sorted({skill.casefold() for skill in answer.skills})


def review_cards_from_summary(*, summary_id: int, completed: SummaryPayload | None = None) -> int:
    """Cards for the most important key concepts of a completed summary, as study lists them
    (most important first; no AI call of ours; `completed`, its SummaryCompleted payload, spares
    reading the summary). At most REVIEW_MAX_CARDS_PER_SUMMARY new cards: a concept the learner
    already has a card for in the subject, however it is spelled (`_same_concept_key`), is
    skipped and leaves its place to the next one. Returns how many cards were created; a repeat
    creates none.

    Queries: the summary unless `completed` carries it, the learner's concepts in the subject,
    one INSERT (the unique constraint turns a card created meanwhile into nothing).

    Each card keeps the sentence that mentions its concept (the summary's, else its source's):
    the front shows it with the concept blanked, the back the concept and the sentence whole. A
    key-concepts summary is a bare list, so its source is read to find the sentences there."""
    if completed is not None and completed["summary_type"] == "key_concepts":
        completed = None
    cap: int = settings.REVIEW_MAX_CARDS_PER_SUMMARY
    summary = summary_key_concepts(
        summary_id=summary_id, completed=completed, mined=MINED_PER_CARD * cap
    )
    if summary is None:
        return 0
    carded = review_concepts_carded(user_id=summary.user_id, subject_id=summary.subject_id)
    # The cap counts this summary's cards: a redelivered event finds its slots taken.
    room = cap - sum(1 for _concept, source in carded if source == summary.summary_id)
    seen = {_same_concept_key(concept) for concept, _source in carded}
    now = timezone.now()
    cards: list[ReviewCard] = []
    for concept in summary.concepts:
        if len(cards) >= room:
            break
        text = concept.strip()[:200]
        same = _same_concept_key(text)
        if not text or same in seen:
            continue
        seen.add(same)  # a near-duplicate later in the list is the same concept
        cards.append(
            ReviewCard(
                user_id=summary.user_id,
                kind=ReviewKind.CONCEPT,
                summary_id=summary.summary_id,
                subject_id=summary.subject_id,
                concept=text,
                concept_key=text.casefold(),
                context=_context(text, summary.text, summary.source),
                due=now,
            )
        )
    created = len(_insert_new(cards, returning=("id",)))
    if created:
        personalization_invalidate_on_commit(summary.user_id)
    return created


def _same_concept_key(concept: str) -> str:
    """What two spellings of one concept share: the text matching's comparison form (spacing
    ignored inside Korean, English case-folded and Snowball-stemmed: "세포 호흡" is "세포호흡",
    "Chloroplasts" is "chloroplast"); the case-folded text when that form is empty."""
    return comparison_key(concept).strip() or concept.strip().casefold()


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
    """The first sentence of the summary (else of the source) that says something about the
    concept (more than the concept itself, as a key-concepts list line does); failing that, the
    first that mentions it at all. A mention is the card's (`concept_pattern`): the front blanks
    what was found here."""
    pattern = concept_pattern(concept)
    mentions = [
        sentence.strip()
        for text in texts
        for sentence in _SENTENCE_END.split(text)
        if pattern.search(sentence)
    ]
    for sentence in mentions:
        if _WORD.search(pattern.sub(" ", sentence)):
            return sentence[:CONTEXT_CHARS]
    return mentions[0][:CONTEXT_CHARS] if mentions else ""


def _claim_fit(user_id: int, now: datetime.datetime) -> bool:
    """One fit per learner at a time: a conditional UPDATE takes the claim."""
    ReviewParameters.objects.get_or_create(user_id=user_id)
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - FIT_CLAIM_STALE)
    return ReviewParameters.objects.filter(free, user_id=user_id).update(claimed_at=now) == 1


def review_parameters_fit(*, user_id: int) -> str:
    """Fits the learner's FSRS parameters to their review log (`memory.fit_parameters`) and
    stores them, for the scheduler to use from their next review on (cards keep the due dates
    they have). CPU-bound for seconds: run from the Celery task only. Idempotent: "busy" while
    another fit holds the claim, "too_few" below MIN_FIT_RATINGS, "fresh" when the log has not
    grown by REFIT_EVERY since the last fit; "fitted" otherwise."""
    now = timezone.now()
    if not _claim_fit(user_id, now):
        return "busy"
    try:
        cards, log_size = review_histories(user_id=user_id, max_ratings=FIT_MAX_RATINGS)
        histories = memory.histories_of(cards)
        row = ReviewParameters.objects.get(user_id=user_id)
        if memory.scored_ratings(histories) < MIN_FIT_RATINGS:
            return "too_few"
        if row.fitted_at is not None and log_size < row.log_size + REFIT_EVERY:
            return "fresh"
        fit = memory.fit_parameters(histories)
        row.parameters = list(fit.parameters)
        row.log_size, row.scored_ratings = log_size, fit.ratings
        row.default_loss, row.fitted_loss = fit.default_loss, fit.fitted_loss
        row.fitted_at = timezone.now()
        row.save(
            update_fields=[
                "parameters",
                "log_size",
                "scored_ratings",
                "default_loss",
                "fitted_loss",
                "fitted_at",
                "updated_at",
            ]
        )
        personalization_invalidate_on_commit(user_id)
        return "fitted"
    finally:
        ReviewParameters.objects.filter(user_id=user_id, claimed_at=now).update(claimed_at=None)
