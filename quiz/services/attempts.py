"""Taking a quiz: starting an attempt, answering, finishing."""

from __future__ import annotations

import datetime
import math
import random
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from study.models import MAX_LOG_MINUTES
from study.selectors import subject_get
from study.services import progress_log
from studymate_api.core.errors import Conflict, NotFound, ValidationFailed, validation_failed
from studymate_api.cqrs import record_event
from studymate_api.metrics import track_event

from .. import grading
from ..adaptive import attempt_length, is_adaptive
from ..models import (
    AnswerStatus,
    AttemptMode,
    GradedBy,
    Question,
    QuestionType,
    Quiz,
    QuizAttempt,
    UserAnswer,
)
from ..selectors import attempt_time_spent, quiz_get
from ..signals import answer_graded

if TYPE_CHECKING:
    from accounts.models import User

QUIZ_ATTEMPT = "quiz_attempt"
QUIZ_COMPLETED = "QuizCompleted"
MAX_TEXT_ANSWER = 10_000
_random = random.SystemRandom()


def attempt_start(*, user: User, quiz_id: int, mode: str = AttemptMode.FIXED) -> QuizAttempt:
    """Draws the attempt's questions (and shuffles them and their choices as the quiz says) and
    freezes that order; an adaptive attempt freezes the whole pool instead and serves it one
    question at a time (`quiz.adaptive`). With `max_attempts`, the learner's row is locked so
    that their concurrent starts count attempts right (other learners are not held up)."""
    adaptive = mode == AttemptMode.ADAPTIVE
    quiz = quiz_get(user=user, quiz_id=quiz_id)
    with transaction.atomic():
        if quiz.max_attempts is not None:
            list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        taken = QuizAttempt.objects.filter(quiz=quiz, user=user).count()
        if quiz.max_attempts is not None and taken >= quiz.max_attempts:
            raise Conflict(_("You have used every attempt of this quiz."))
        questions = _pool(quiz) if adaptive else _draw(quiz)
        now = timezone.now()
        return QuizAttempt.objects.create(
            user=user,
            quiz=quiz,
            mode=mode,
            question_order=[q.pk for q in questions],
            choice_order={str(q.pk): _choice_order(quiz, q) for q in questions},
            started_at=now,
            expires_at=(
                now + datetime.timedelta(minutes=quiz.time_limit_minutes)
                if quiz.time_limit_minutes
                else None
            ),
            max_score=0.0 if adaptive else round(sum(q.points for q in questions), 4),
        )


def _pool(quiz: Quiz) -> list[Question]:
    pool = list(quiz.questions.all())
    if not pool:
        raise Conflict(_("This quiz has no questions yet."))
    return pool


def _draw(quiz: Quiz) -> list[Question]:
    pool = _pool(quiz)
    count = quiz.questions_per_attempt
    if count is not None and count < len(pool):
        chosen = set(_random.sample(range(len(pool)), count))
        pool = [q for i, q in enumerate(pool) if i in chosen]
    if quiz.shuffle_questions:
        _random.shuffle(pool)
    return pool


def _choice_order(quiz: Quiz, question: Question) -> list[int]:
    ids = [c.pk for c in question.choices.all()]
    if quiz.shuffle_choices:
        _random.shuffle(ids)
    return ids


# --- answering ----------------------------------------------------------------------------------


def answer_submit(*, user: User, attempt_id: int, question_id: int, answer: Any) -> UserAnswer:
    """Grades at once, except essays: those are stored as `grading` and graded by a task after
    commit. The attempt row is locked, so an answer never lands after the finish; the unique
    (attempt, question) constraint keeps concurrent double submits to one answer (409)."""
    with transaction.atomic():
        attempt = _locked_attempt(user, attempt_id)
        _check_open(attempt)
        if question_id not in attempt.question_order:
            raise validation_failed("question_id", _("This question is not part of the attempt."))
        if is_adaptive(attempt):
            _check_adaptive_room(attempt)
        question = Question.objects.prefetch_related("choices").filter(pk=question_id).first()
        if question is None:  # deleted by its owner during the attempt
            raise validation_failed("question_id", _("This question no longer exists."))
        user_answer = _graded(attempt, question, _clean_answer(question, answer))
        try:
            with transaction.atomic():
                user_answer.save()
        except IntegrityError:
            raise Conflict(_("This question has already been answered.")) from None
        answer_id = user_answer.pk
        if user_answer.status == AnswerStatus.GRADING:
            from ..tasks import grade_essay

            transaction.on_commit(lambda: grade_essay.delay(answer_id))
        else:
            answer_graded_on_commit(answer_id)
    return user_answer


def answer_graded_on_commit(answer_id: int) -> None:
    """Every answer that receives a grade (automatic, AI or the owner's) is announced once it
    commits (`quiz.signals.answer_graded`): the learner model listens without quiz knowing it."""
    transaction.on_commit(
        lambda: answer_graded.send(sender=UserAnswer, answer_id=answer_id), robust=True
    )


def _check_adaptive_room(attempt: QuizAttempt) -> None:
    answered = UserAnswer.objects.filter(attempt=attempt).count()
    if answered >= attempt_length(attempt):
        raise Conflict(_("Every question of this adaptive attempt is answered."))


def _locked_attempt(user: User, attempt_id: int) -> QuizAttempt:
    attempt = (
        QuizAttempt.objects.select_for_update(of=("self",))
        .select_related("quiz")
        .filter(user=user, pk=attempt_id)
        .first()
    )
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    return attempt


def _check_open(attempt: QuizAttempt) -> None:
    if attempt.finished_at is not None:
        raise Conflict(_("This attempt is finished."))
    if attempt.expires_at is not None and timezone.now() > attempt.expires_at:
        raise Conflict(_("The time for this attempt is up."))


def _clean_answer(question: Question, answer: Any) -> Any:
    kind = question.question_type
    choice_ids = {c.pk for c in question.choices.all()}
    if kind == QuestionType.MULTIPLE_CHOICE:
        if not _is_int(answer) or answer not in choice_ids:
            raise validation_failed("answer", _("Choose one of the question's choices."))
        return answer
    if kind == QuestionType.MULTIPLE_SELECT:
        if not isinstance(answer, list) or not all(_is_int(a) and a in choice_ids for a in answer):
            raise validation_failed("answer", _("Choose a list of the question's choices."))
        return sorted(set(answer))
    if kind == QuestionType.TRUE_FALSE:
        value = str(answer).strip().casefold() if isinstance(answer, bool | str) else None
        if value not in {"true", "false"}:
            raise validation_failed("answer", _("Answer true or false."))
        return value == "true"
    if not isinstance(answer, str) or not answer.strip() or len(answer) > MAX_TEXT_ANSWER:
        raise validation_failed("answer", _("Answer with a text of at most 10000 characters."))
    return answer


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _graded(attempt: QuizAttempt, question: Question, answer: Any) -> UserAnswer:
    user_answer = UserAnswer(attempt=attempt, question=question, answer=answer)
    if question.question_type == QuestionType.ESSAY:
        user_answer.status = AnswerStatus.GRADING
        return user_answer
    grade = auto_grade(question, answer)
    user_answer.is_correct = grade.is_correct
    user_answer.score = grade.score
    user_answer.feedback = _feedback(grade, question.points)
    user_answer.graded_by = GradedBy.AUTO
    user_answer.graded_at = timezone.now()
    return user_answer


def auto_grade(question: Question, answer: Any) -> grading.Grade:
    kind, points = question.question_type, question.points
    correct = [c.pk for c in question.choices.all() if c.is_correct]
    if kind == QuestionType.MULTIPLE_CHOICE:
        return grading.grade_single_choice(answer, correct, points)
    if kind == QuestionType.MULTIPLE_SELECT:
        return grading.grade_multiple_select(answer, correct, points)
    if kind == QuestionType.TRUE_FALSE:
        return grading.grade_true_false(answer, question.accepted_answers == ["true"], points)
    return grading.grade_short_answer(
        answer, question.accepted_answers, points, question.numeric_tolerance
    )


def _feedback(grade: grading.Grade, points: float) -> str:
    if grade.is_correct:
        return str(_("Correct."))
    if grade.score > 0:
        return str(_("Partly correct: %(score)g of %(points)g points.")) % {
            "score": grade.score,
            "points": points,
        }
    return str(_("Incorrect."))


# --- finishing ----------------------------------------------------------------------------------


def attempt_finish(*, user: User, attempt_id: int) -> QuizAttempt:
    """Scores the attempt (essays still grading count 0 until graded; their grade updates the
    totals), logs the time as study progress in the quiz's subject and records QuizCompleted,
    all in one transaction. A second finish is 409."""
    with transaction.atomic():
        attempt = _locked_attempt(user, attempt_id)
        if attempt.finished_at is not None:
            raise Conflict(_("This attempt is already finished."))
        attempt.finished_at = timezone.now()
        attempt_rescore(attempt)
        _log_progress(user, attempt)
        _record_completed(user, attempt)
        payload = {"quiz_id": attempt.quiz_id, "percentage": attempt.percentage}
        transaction.on_commit(lambda: track_event("quiz_completed", user=user, **payload))
    return attempt


def attempt_rescore(attempt: QuizAttempt) -> None:
    """Totals from the answers; saves the attempt. An adaptive attempt's maximum is the points
    of the questions it served."""
    rows = list(UserAnswer.objects.filter(attempt=attempt).values_list("score", "question__points"))
    attempt.score = round(sum(score for score, _points in rows), 4)
    if is_adaptive(attempt):
        attempt.max_score = round(sum(points for _score, points in rows), 4)
    attempt.percentage = (
        round(100.0 * attempt.score / attempt.max_score, 2) if attempt.max_score else 0.0
    )
    attempt.passed = attempt.percentage >= attempt.quiz.pass_percentage
    attempt.save(update_fields=["finished_at", "score", "max_score", "percentage", "passed"])


def _log_progress(user: User, attempt: QuizAttempt) -> None:
    subject_id = attempt.quiz.subject_id
    if subject_id is None:
        return
    try:
        subject_get(user=user, subject_id=subject_id)
    except NotFound:
        return  # a public quiz filed under its owner's private subject
    seconds = attempt_time_spent(attempt) or 0
    minutes = min(MAX_LOG_MINUTES, max(1, math.ceil(seconds / 60)))
    try:
        progress_log(user=user, subject_id=subject_id, minutes=minutes)
    except ValidationFailed:
        return


def _record_completed(user: User, attempt: QuizAttempt) -> None:
    record_event(
        aggregate_type=QUIZ_ATTEMPT,
        aggregate_id=attempt.pk,
        event_type=QUIZ_COMPLETED,
        payload={
            "attempt_id": attempt.pk,
            "quiz_id": attempt.quiz_id,
            "user_id": user.pk,
            "subject_id": attempt.quiz.subject_id,
            "score": attempt.score,
            "max_score": attempt.max_score,
            "percentage": attempt.percentage,
            "passed": attempt.passed,
            "time_spent_seconds": attempt_time_spent(attempt),
            "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
        },
        user=user,
    )
