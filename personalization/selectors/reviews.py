"""Reads of spaced review: the learner's own cards only, and only questions they can still see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quiz.selectors import (
    question_answer_revealed,
    question_back_row,
    question_front_row,
    questions_shown,
    quiz_visibility,
)
from studymate_api.core.errors import NotFound

from ..models import ReviewCard, ReviewKind, ReviewState

if TYPE_CHECKING:
    from accounts.models import User

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
    """Cards due by `now` (default: now), the most overdue first. Three queries a page: count,
    cards (with their questions, through quiz's selector), choices."""
    due = _reviewable(user).filter(due__lte=now or timezone.now()).select_related("subject")
    return questions_shown(due, through="question").order_by("due", "id")


def review_card_locked(*, user: User, card_id: int) -> ReviewCard:
    """The learner's card, locked for rating; anyone else's is not found."""
    cards = _reviewable(user).select_for_update(of=("self",)).select_related("user", "subject")
    card = questions_shown(cards, through="question", choices=False).filter(pk=card_id).first()
    if card is None:
        raise NotFound(_("Review card not found."))
    return card


def review_answer_revealed(card: ReviewCard) -> bool:
    """Whether a reviewed question card may show its right answer: the quiz's `show_answers`
    decides, and "after finishing" waits until the learner has no attempt of it in progress."""
    question = card.question
    return question is not None and question_answer_revealed(user=card.user, question=question)


def review_card_row(card: ReviewCard, *, reviewed: bool = False, reveal: bool = False) -> Any:
    """The card as the learner sees it: the front (question or concept) always, the back (right
    answer and explanation, or the concept's context) only after rating it."""
    question = card.question
    subject = card.subject
    return {
        "id": card.pk,
        "kind": card.kind,
        "subject": None if subject is None else {"id": subject.pk, "name": subject.name},
        "question": None if question is None else question_front_row(question),
        "concept": card.concept or None,
        "state": STATE_NAMES.get(ReviewState(card.state), "learning"),
        "due": card.due,
        "last_review": card.last_review,
        "reps": card.reps,
        "lapses": card.lapses,
        "answer": _back(card, reveal=reveal) if reviewed else None,
    }


def _back(card: ReviewCard, *, reveal: bool) -> dict[str, Any]:
    question = card.question
    if question is None:
        return {"correct_answer": None, "explanation": card.context, "summary": card.summary_id}
    if not reveal:
        return {"correct_answer": None, "explanation": None, "summary": None}
    return {**question_back_row(question), "summary": None}
