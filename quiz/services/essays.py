"""Grading essays: by the AI gateway in a task, by the quiz owner by hand."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.ai import (
    AIError,
    AITask,
    EssayGrade,
    EssayInput,
    RubricCriterion,
    generate,
)
from studymate_api.core.errors import InsufficientCredits, NotFound, validation_failed

from ..models import AnswerStatus, GradedBy, UserAnswer
from .attempts import answer_graded_record, attempt_rescore

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Below this confidence an AI grade only suggests a score: the answer waits for the owner.
ESSAY_CONFIDENCE_THRESHOLD = 0.6


def _essay_input(answer: UserAnswer) -> EssayInput:
    question = answer.question
    rubric = tuple(
        RubricCriterion(
            name=str(c["name"]),
            points=float(c["points"]),
            description=str(c.get("description", "")),
            keywords=tuple(str(k) for k in c.get("keywords", ())),
        )
        for c in question.rubric
    )
    reference = question.accepted_answers[0] if question.accepted_answers else ""
    return EssayInput(question.text, str(answer.answer), rubric=rubric, reference=reference)


def essay_grade(*, answer_id: int) -> UserAnswer | None:
    """Idempotent: only an answer still `grading` is graded, and the result is written under
    the answer's row lock after checking that again (the model is called outside any
    transaction). Returns None when there was nothing to do."""
    answer = (
        UserAnswer.objects.select_related("question", "attempt__user", "attempt__quiz__subject")
        .filter(pk=answer_id, status=AnswerStatus.GRADING)
        .first()
    )
    if answer is None:
        return None
    grade: EssayGrade | None = None
    try:
        result = generate(AITask.ESSAY_GRADING, _essay_input(answer), user=answer.attempt.user)
        grade = result.structured(EssayGrade)
    except AIError:
        logger.warning("essay grading of answer %s failed; left for review", answer_id)
    except InsufficientCredits:
        # The learner cannot pay for an AI grade: the quiz owner grades it by hand instead.
        logger.info("no credits to grade answer %s by AI; left for review", answer_id)
    with transaction.atomic():
        locked = UserAnswer.objects.select_for_update().filter(pk=answer_id).first()
        if locked is None or locked.status != AnswerStatus.GRADING:
            return None
        _apply(locked, answer, grade)
        if locked.status == AnswerStatus.GRADED:
            answer_graded_record(locked, question=answer.question, attempt=answer.attempt)
        if answer.attempt.finished_at is not None:
            attempt_rescore(answer.attempt)
    return locked


def _apply(locked: UserAnswer, answer: UserAnswer, grade: EssayGrade | None) -> None:
    locked.graded_at = timezone.now()
    locked.graded_by = GradedBy.AI
    if grade is None:
        locked.status = AnswerStatus.NEEDS_REVIEW
        locked.feedback = str(_("Automatic grading is unavailable; the quiz owner will grade."))
    else:
        points = answer.question.points
        score = round(min(points, grade.score * points / grade.max_score), 4)
        locked.confidence = grade.confidence
        locked.feedback = grade.feedback
        locked.criteria = [c.model_dump() for c in grade.criteria]
        if grade.confidence < ESSAY_CONFIDENCE_THRESHOLD:
            locked.status = AnswerStatus.NEEDS_REVIEW
        else:
            locked.status = AnswerStatus.GRADED
            locked.score = score
            locked.is_correct = _passes(score, points, answer.attempt.quiz.pass_percentage)
    locked.save(
        update_fields=[
            "graded_at",
            "graded_by",
            "status",
            "feedback",
            "confidence",
            "criteria",
            "score",
            "is_correct",
        ]
    )


def _passes(score: float, points: float, pass_percentage: float) -> bool:
    return 100.0 * score / points >= pass_percentage


def answer_grade_manual(*, user: User, answer_id: int, score: float, feedback: str = "") -> Any:
    """The quiz owner's grade, over whatever graded the answer before; updates a finished
    attempt's totals. Answers to another owner's quizzes are not found."""
    with transaction.atomic():
        answer = (
            UserAnswer.objects.select_for_update(of=("self",))
            .select_related("question", "attempt__quiz__subject")
            .filter(pk=answer_id, question__quiz__owner=user)
            .first()
        )
        if answer is None:
            raise NotFound(_("Answer not found."))
        points = answer.question.points
        if not 0 <= score <= points:
            raise validation_failed("score", _("Give between 0 and the question's points."))
        answer.score = round(score, 4)
        answer.is_correct = _passes(score, points, answer.attempt.quiz.pass_percentage)
        answer.feedback = feedback or answer.feedback
        answer.graded_by = GradedBy.MANUAL
        answer.graded_at = timezone.now()
        answer.status = AnswerStatus.GRADED
        answer.save(
            update_fields=["score", "is_correct", "feedback", "graded_by", "graded_at", "status"]
        )
        answer_graded_record(answer, question=answer.question, attempt=answer.attempt)
        if answer.attempt.finished_at is not None:
            attempt_rescore(answer.attempt)
    return answer
