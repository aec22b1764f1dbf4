"""Reads of spaced review: the learner's own cards only, and only questions they can still see;
the due queue with its daily new-card limit; the review log as the fit reads it; the workload
that study settings show (`ReviewWorkloadProvider`, the `study.review_workload` port)."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quiz.selectors import (
    question_answer_revealed,
    question_back_row,
    question_front_row,
    questions_shown,
    quiz_visibility,
)
from study.selectors import study_settings_preferences, user_timezone
from studymate_api.core.errors import NotFound

from .. import memory
from ..caching import personalization_user_tag
from ..models import ReviewCard, ReviewKind, ReviewLog, ReviewParameters, ReviewState

if TYPE_CHECKING:
    from accounts.models import User

    from .knowledge import GradedAnswer

# The workload figure averages this many days ahead.
WORKLOAD_DAYS = 30
CLOZE_BLANK = "_____"
_WORD = re.compile(r"\w{2,}")
_HANGUL = re.compile("[\uac00-\ud7a3]")

STATE_NAMES = {
    ReviewState.LEARNING: "learning",
    ReviewState.REVIEW: "review",
    ReviewState.RELEARNING: "relearning",
}


def _reviewable(user: User) -> QuerySet[ReviewCard]:
    """The learner's cards, minus questions of quizzes that are no longer visible to them."""
    visible = Q(kind=ReviewKind.CONCEPT) | quiz_visibility(user, through="question__quiz")
    return ReviewCard.objects.filter(visible, user=user)


def review_due_list(*, user: User, now: datetime.datetime | None = None) -> QuerySet[ReviewCard]:
    """Cards due by `now` (default: now), the most overdue first, suspended ones aside, and
    new cards (never reviewed) only as many as the learner's daily limit (study settings'
    `new_cards_per_day`) leaves today: minus the cards introduced (first reviewed, in a review
    or a quiz) since their local midnight. Two reads first (settings, today's introductions; the
    time zone is the profile, read with the request's user), then three queries a page: count,
    cards (with their questions, through quiz's selector), choices."""
    now = now or timezone.now()
    limit = study_settings_preferences(user=user).new_cards_per_day
    midnight = now.astimezone(user_timezone(user)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    introduced = ReviewCard.objects.filter(user=user, introduced_at__gte=midnight).count()
    room = max(limit - introduced, 0)
    due = _reviewable(user).filter(due__lte=now, suspended_at__isnull=True)
    admitted = Q(reps__gt=0)
    if room:
        new = due.filter(reps=0).order_by("due", "id").values("pk")[:room]
        admitted |= Q(pk__in=new)
    cards = due.filter(admitted).select_related("subject")
    return questions_shown(cards, through="question").order_by("due", "id")


def review_card_locked(*, user: User, card_id: int) -> ReviewCard:
    """The learner's card, locked for rating, with their FSRS parameters; anyone else's is not
    found."""
    cards = _reviewable(user).select_for_update(of=("self",))
    cards = cards.select_related("user", "user__review_parameters", "subject")
    card = questions_shown(cards, through="question", choices=False).filter(pk=card_id).first()
    if card is None:
        raise NotFound(_("Review card not found."))
    return card


def review_concepts_carded(*, user_id: int, subject_id: int) -> list[tuple[str, int | None]]:
    """The concepts the learner has cards for in the subject, with the summary each card came
    from, suspended ones included (a card set aside is not one to be given again): one query."""
    cards = ReviewCard.objects.filter(user_id=user_id, subject_id=subject_id)
    return list(cards.filter(kind=ReviewKind.CONCEPT).values_list("concept", "summary_id"))


def review_cards_for_answers(answers: Sequence[GradedAnswer]) -> list[ReviewCard]:
    """The learners' cards these graded answers touch (their questions' cards, the concept
    cards of their topics in their subjects), unsuspended, locked in id order, with each
    learner and their FSRS parameters: one query."""
    questions: dict[int, set[int]] = defaultdict(set)
    concepts: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    for answer in answers:
        questions[answer.user_id].add(answer.question_id)
        concepts[(answer.user_id, answer.subject_id)].update(s.casefold() for s in answer.skills)
    wanted = Q()
    for user_id, ids in sorted(questions.items()):
        wanted |= Q(user_id=user_id, kind=ReviewKind.QUESTION, question_id__in=sorted(ids))
    for (user_id, subject_id), keys in concepts.items():
        if keys:
            wanted |= Q(
                user_id=user_id,
                kind=ReviewKind.CONCEPT,
                subject_id=subject_id,
                concept_key__in=sorted(keys),
            )
    cards = ReviewCard.objects.select_for_update(of=("self",)).filter(
        wanted, suspended_at__isnull=True
    )
    return list(cards.select_related("user", "user__review_parameters").order_by("pk"))


def review_parameters_of(user: User) -> tuple[float, ...]:
    """The learner's fitted FSRS parameters, else the defaults (reads `user.review_parameters`:
    one query unless joined)."""
    try:
        stored = user.review_parameters.parameters
    except ObjectDoesNotExist:
        return memory.DEFAULTS
    return tuple(stored) if memory.valid(stored) else memory.DEFAULTS


def review_histories(*, user_id: int, max_ratings: int) -> tuple[list[memory.Timed], int]:
    """The learner's review log as the fit reads it: per card, its ratings with their times in
    time order; at most `max_ratings`, whole cards, the most recently introduced first. Also
    the log's size. One query."""
    rows = (
        ReviewLog.objects.filter(card__user_id=user_id)
        .order_by("card_id", "reviewed_at", "id")
        .values_list("card_id", "reviewed_at", "rating")
    )
    by_card: dict[int, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    for card_id, reviewed_at, rating in rows:
        by_card[card_id].append((reviewed_at, rating))
    log_size = sum(len(reviews) for reviews in by_card.values())
    kept: list[memory.Timed] = []
    total = 0
    for reviews in sorted(by_card.values(), key=lambda reviews: reviews[0][0], reverse=True):
        if total + len(reviews) > max_ratings:
            break
        total += len(reviews)
        kept.append(reviews)
    return kept, log_size


def review_parameters_due(*, min_ratings: int, refit_every: int, limit: int) -> list[int]:
    """Learners whose log may be long enough to fit (`min_ratings` ratings, a bound on the
    scored ones) and has grown by `refit_every` since their last fit, if any: at most `limit`,
    those with the longest logs first. Two queries."""
    counts = list(
        ReviewLog.objects.order_by()
        .values("card__user_id")
        .annotate(size=Count("id"))
        .filter(size__gte=min_ratings)
        .order_by("-size", "card__user_id")
        .values_list("card__user_id", "size")
    )
    fitted = dict(
        ReviewParameters.objects.filter(
            user_id__in=[user_id for user_id, _size in counts], fitted_at__isnull=False
        ).values_list("user_id", "log_size")
    )
    due = [
        user_id
        for user_id, size in counts
        if user_id not in fitted or size >= fitted[user_id] + refit_every
    ]
    return due[:limit]


def review_workload(
    *,
    user_id: int,
    desired_retention: float,
    new_cards_per_day: int,
    now: datetime.datetime | None = None,
) -> float:
    """Expected reviews a day over the next WORKLOAD_DAYS (`memory.expected_reviews`): the
    learner's unsuspended cards as they are scheduled now, the new ones among them introduced at
    `new_cards_per_day`, with their own FSRS parameters. Two queries."""
    now = now or timezone.now()
    stored = (
        ReviewParameters.objects.filter(user_id=user_id)
        .values_list("parameters", flat=True)
        .first()
    )
    w = tuple(stored) if memory.valid(stored) else memory.DEFAULTS
    rows = ReviewCard.objects.filter(user_id=user_id, suspended_at__isnull=True).values_list(
        "stability", "difficulty", "last_review", "due"
    )
    scheduled: list[memory.Scheduled] = []
    waiting = 0
    for stability, difficulty, last_review, due in rows:
        if stability is None or difficulty is None or last_review is None:
            waiting += 1
            continue
        scheduled.append(
            memory.Scheduled(stability, difficulty, (now - last_review).days, (due - now).days)
        )
    new_per_day = []
    for _day in range(WORKLOAD_DAYS):
        introduced = min(waiting, new_cards_per_day)
        new_per_day.append(introduced)
        waiting -= introduced
    expected = memory.expected_reviews(
        w, desired_retention=desired_retention, cards=scheduled, new_per_day=new_per_day
    )
    return round(expected, 1)


class ReviewWorkloadProvider:
    """Study settings' `expected_daily_reviews` (the `study.review_workload` port)."""

    def daily_reviews(
        self, *, user_id: int, desired_retention: float, new_cards_per_day: int
    ) -> float | None:
        return review_workload(
            user_id=user_id,
            desired_retention=desired_retention,
            new_cards_per_day=new_cards_per_day,
        )

    def cache_tags(self, user_id: int) -> list[str]:
        return [personalization_user_tag(user_id)]


def review_answer_revealed(card: ReviewCard) -> bool:
    """Whether a reviewed question card may show its right answer: the quiz's `show_answers`
    decides, and "after finishing" waits until the learner has no attempt of it in progress."""
    question = card.question
    return question is not None and question_answer_revealed(user=card.user, question=question)


def review_card_row(card: ReviewCard, *, reviewed: bool = False, reveal: bool = False) -> Any:
    """The card as the learner sees it: the front always (the question; a concept's sentence
    with the concept blanked and a hint, or the bare concept when no sentence says more than
    it), the back (right answer and explanation, or the concept and its sentence) only after
    rating it."""
    question = card.question
    subject = card.subject
    cloze = _cloze(card.concept, card.context) if card.kind == ReviewKind.CONCEPT else None
    return {
        "id": card.pk,
        "kind": card.kind,
        "subject": None if subject is None else {"id": subject.pk, "name": subject.name},
        "question": None if question is None else question_front_row(question),
        "concept": None if cloze is not None else card.concept or None,
        "cloze": cloze,
        "state": STATE_NAMES.get(ReviewState(card.state), "learning"),
        "is_new": card.reps == 0,
        "suspended": card.suspended_at is not None,
        "due": card.due,
        "last_review": card.last_review,
        "reps": card.reps,
        "lapses": card.lapses,
        "answer": _back(card, reveal=reveal) if reviewed else None,
    }


def concept_pattern(concept: str) -> re.Pattern[str]:
    """A mention of the concept in a sentence: any case, any spacing between its words, and
    inside Korean any spacing between its syllables, since Korean compounds are written with or
    without spaces (세포 호흡, 세포호흡; 캘빈회로, 캘빈 회로)."""
    pattern = ""
    previous = ""
    for char in " ".join(concept.split()):
        if char == " ":
            pattern += r"\s*"
        else:
            if _HANGUL.match(previous) and _HANGUL.match(char):
                pattern += r"\s*"
            pattern += re.escape(char)
        previous = char
    return re.compile(pattern, re.IGNORECASE)


def _cloze(concept: str, sentence: str) -> dict[str, str] | None:
    """The sentence with every mention of the concept blanked (`concept_pattern`), and the
    concept's hint: each word's first letter, the rest one underscore a letter ("Calvin cycle"
    -> "C_____ c____"). None when the sentence says nothing beyond the concept."""
    if not concept.strip() or not sentence:
        return None
    blanked = concept_pattern(concept).sub(CLOZE_BLANK, sentence)
    if blanked == sentence or not _WORD.search(blanked.replace(CLOZE_BLANK, " ")):
        return None
    hint = " ".join(word[0] + "_" * (len(word) - 1) for word in concept.split())
    return {"text": blanked, "hint": hint}


def _back(card: ReviewCard, *, reveal: bool) -> dict[str, Any]:
    question = card.question
    if question is None:
        return {
            "correct_answer": None,
            "concept": card.concept,
            "explanation": card.context,
            "summary": card.summary_id,
        }
    if not reveal:
        return {"correct_answer": None, "concept": None, "explanation": None, "summary": None}
    return {**question_back_row(question), "concept": None, "summary": None}
