"""Taking a quiz: starting an attempt, answering, finishing."""

from __future__ import annotations

import datetime
import math
import random
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from study.selectors import user_timezone
from study.services import MAX_LOG_MINUTES, progress_log
from studymate_api.core.errors import Conflict, NotFound, ValidationFailed, validation_failed
from studymate_api.metrics import track_event

from .. import grading
from ..adaptive import attempt_length, is_adaptive, start_state
from ..events import ANSWER_GRADED, QUIZ_COMPLETED, GradedAnswerPayload
from ..models import (
    MAX_RESPONSE_SECONDS,
    AnswerStatus,
    AttemptMode,
    Choice,
    GenerationStatus,
    GradedBy,
    Question,
    QuestionType,
    Quiz,
    QuizAttempt,
    UserAnswer,
)
from ..selectors import access_quiz, attempt_time_spent

if TYPE_CHECKING:
    from accounts.models import User

MAX_TEXT_ANSWER = 10_000
_random = random.SystemRandom()


def attempt_start(
    *,
    user: User,
    quiz_id: int,
    mode: str = AttemptMode.FIXED,
    stop_at_standard_error: float | None = None,
) -> QuizAttempt:
    """Draws the attempt's questions (and shuffles them and their choices as the quiz says) and
    freezes that order; an adaptive attempt freezes the whole pool instead, with the learner
    model's predictions on it, and serves it one question at a time (`quiz.adaptive`). With
    `max_attempts`, the learner's row is locked so that their concurrent starts count attempts
    right (other learners are not held up). A quiz the AI has not generated (pending, or
    failed) cannot be taken yet: 409."""
    adaptive = mode == AttemptMode.ADAPTIVE
    quiz = access_quiz(user=user, quiz_id=quiz_id)
    _check_generated(quiz)
    with transaction.atomic():
        if quiz.max_attempts is not None:
            list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        taken = QuizAttempt.objects.filter(quiz=quiz, user=user).count()
        if quiz.max_attempts is not None and taken >= quiz.max_attempts:
            raise Conflict(_("You have used every attempt of this quiz."))
        questions = _pool(quiz) if adaptive else _draw(quiz)
        now = timezone.now()
        state = (
            start_state(
                user=user,
                quiz=quiz,
                questions=questions,
                stop_at_standard_error=stop_at_standard_error,
            )
            if adaptive
            else {}
        )
        return QuizAttempt.objects.create(
            user=user,
            quiz=quiz,
            mode=mode,
            question_order=[q.pk for q in questions],
            choice_order={str(q.pk): _choice_order(quiz, q) for q in questions},
            adaptive_state=state,
            started_at=now,
            expires_at=(
                now + datetime.timedelta(minutes=quiz.time_limit_minutes)
                if quiz.time_limit_minutes
                else None
            ),
            max_score=0.0 if adaptive else round(sum(q.points for q in questions), 4),
        )


def _check_generated(quiz: Quiz) -> None:
    if quiz.generation_status == GenerationStatus.PENDING:
        raise Conflict(_("This quiz is still being generated. Try again shortly."))
    if quiz.generation_status == GenerationStatus.FAILED:
        raise Conflict(_("This quiz could not be generated."))


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


def answer_submit(
    *,
    user: User,
    attempt_id: int,
    question_id: int,
    answer: Any,
    response_seconds: float | None = None,
) -> UserAnswer:
    """Grades at once, except essays: those are stored as `grading` and graded by a task after
    commit. The attempt row is locked, so an answer never lands after the finish, and a second
    submit of the same question waits for the first and finds its answer (409); the unique
    (attempt, question) constraint stays the last word (409 too), with no savepoint per insert.

    An adaptive attempt's grade is an AnswerGraded event now: the learner model must move before
    the next question is picked. A fixed attempt's automatic grades are told once, by the
    attempt's QuizCompleted (`quiz.events`). The answer's time is the app's `response_seconds`,
    else the time since the attempt's previous answer or its start (read with the question)."""
    try:
        with transaction.atomic():
            attempt = _locked_attempt(user, attempt_id)
            _check_open(attempt)
            if question_id not in attempt.question_order:
                raise validation_failed(
                    "question_id", _("This question is not part of the attempt.")
                )
            if is_adaptive(attempt):
                _check_adaptive_room(attempt)
            question, previous_answer_at = _question_to_answer(attempt, question_id)
            user_answer = _graded(attempt, question, _clean_answer(question, answer))
            user_answer.response_seconds = (
                response_seconds
                if response_seconds is not None
                else _seconds_since(previous_answer_at or attempt.started_at)
            )
            user_answer.save()
            answer_id = user_answer.pk
            if user_answer.status == AnswerStatus.GRADING:
                from ..tasks import grade_essay

                transaction.on_commit(lambda: grade_essay.delay(answer_id))
            elif is_adaptive(attempt):
                answer_graded_record(user_answer, question=question, attempt=attempt, first=True)
    except IntegrityError:
        raise Conflict(_("This question has already been answered.")) from None
    return user_answer


_CHOICE_TYPES = (QuestionType.MULTIPLE_CHOICE, QuestionType.MULTIPLE_SELECT)


def _seconds_since(moment: datetime.datetime) -> float:
    elapsed = (timezone.now() - moment).total_seconds()
    return round(min(max(elapsed, 0.0), MAX_RESPONSE_SECONDS), 3)


def _question_to_answer(
    attempt: QuizAttempt, question_id: int
) -> tuple[Question, datetime.datetime | None]:
    """The question, with whether the attempt answered it already and when it last answered
    anything, in the same query; its choices (a second query) only for the kinds that have
    them."""
    answered = UserAnswer.objects.filter(attempt=attempt, question_id=OuterRef("pk"))
    latest = UserAnswer.objects.filter(attempt=attempt).order_by("-created_at")
    question = (
        Question.objects.annotate(
            answered=Exists(answered),
            previous_answer_at=Subquery(latest.values("created_at")[:1]),
        )
        .filter(pk=question_id)
        .first()
    )
    if question is None:  # deleted by its owner during the attempt
        raise validation_failed("question_id", _("This question no longer exists."))
    if question.answered:
        raise Conflict(_("This question has already been answered."))
    has_choices = question.question_type in _CHOICE_TYPES
    choices = Prefetch("choices", Choice.objects.all() if has_choices else Choice.objects.none())
    prefetch_related_objects([question], choices)
    previous_answer_at: datetime.datetime | None = question.previous_answer_at
    return question, previous_answer_at


def answer_graded_record(
    answer: UserAnswer, *, question: Question, attempt: QuizAttempt, first: bool = False
) -> None:
    """Every grade an answer receives (automatic, AI or the owner's) is an AnswerGraded event,
    recorded in the grade's transaction (`quiz.events`); who reacts is not quiz's business.
    `attempt` comes with its quiz and the quiz's subject. `first`: the answer was created in
    this transaction, so its stream is new (the append takes no lock)."""
    subject = attempt.quiz.subject
    ANSWER_GRADED.record(
        aggregate_id=answer.pk,
        payload={
            "answer_id": answer.pk,
            "attempt_id": answer.attempt_id,
            "user_id": attempt.user_id,
            "question_id": question.pk,
            "question_type": question.question_type,
            "correct": bool(answer.is_correct),
            "topics": _tags(question.topics),
            "difficulty": question.difficulty,
            "subject_id": attempt.quiz.subject_id,
            "subject_name": subject.name if subject else None,
            "response_seconds": answer.response_seconds,
        },
        expected_version=0 if first else None,
    )


def _check_adaptive_room(attempt: QuizAttempt) -> None:
    answered = UserAnswer.objects.filter(attempt=attempt).count()
    if answered >= attempt_length(attempt):
        raise Conflict(_("Every question of this adaptive attempt is answered."))


def _locked_attempt(user: User, attempt_id: int) -> QuizAttempt:
    attempt = (
        QuizAttempt.objects.select_for_update(of=("self",))
        .select_related("quiz__subject")
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


class FinishedAttempt(NamedTuple):
    attempt: QuizAttempt
    # Its answers, in answer order, each with its question: the answer to the finish shows
    # them (`selectors.attempt_row(..., answers=)`), so they are read once.
    answers: list[UserAnswer]


def attempt_finish(*, user: User, attempt_id: int) -> FinishedAttempt:
    """Scores the attempt, logs the time as study progress in the quiz's subject and records
    QuizCompleted, all in one transaction. Essays still waiting for their grade (grading, or
    the owner's review) add nothing to the score yet and leave `passed` unknown (None): their
    grade rescores the attempt (`attempt_rescore`). A second finish is 409."""
    with transaction.atomic():
        attempt = _locked_attempt(user, attempt_id)
        if attempt.finished_at is not None:
            raise Conflict(_("This attempt is already finished."))
        attempt.finished_at = timezone.now()
        answers = _answers_with_questions(attempt)
        scored = _scored(answers)
        _rescore(attempt, scored)
        _log_progress(user, attempt)
        _record_completed(user, attempt, scored)
        payload = {"quiz_id": attempt.quiz_id, "percentage": attempt.percentage}
        transaction.on_commit(lambda: track_event("quiz_completed", user=user, **payload))
    return FinishedAttempt(attempt, answers)


def attempt_rescore(attempt: QuizAttempt) -> None:
    """Totals from the answers; saves the attempt. An adaptive attempt's maximum is the points
    of the questions it served."""
    _rescore(attempt, _scored(_answers_with_questions(attempt)))


def _answers_with_questions(attempt: QuizAttempt) -> list[UserAnswer]:
    """Every answer with its question (and the question's quiz and subject): one query."""
    return list(
        UserAnswer.objects.filter(attempt=attempt)
        .select_related("question__quiz__subject")
        .order_by("id")
    )


def _scored(answers: list[UserAnswer]) -> list[dict[str, Any]]:
    """What the totals, the essay count and QuizCompleted's graded answers need of each answer
    and its question."""
    return [
        {
            "id": answer.pk,
            "question_id": answer.question_id,
            "score": answer.score,
            "status": answer.status,
            "is_correct": answer.is_correct,
            "question__points": answer.question.points,
            "question__question_type": answer.question.question_type,
            "question__topics": answer.question.topics,
            "question__difficulty": answer.question.difficulty,
            "response_seconds": answer.response_seconds,
            "question__quiz__subject__name": (
                answer.question.quiz.subject.name if answer.question.quiz.subject else None
            ),
        }
        for answer in answers
    ]


def _pending_essays(answers: list[dict[str, Any]]) -> int:
    return sum(1 for a in answers if a["status"] != AnswerStatus.GRADED)


def _rescore(attempt: QuizAttempt, answers: list[dict[str, Any]]) -> None:
    attempt.score = round(sum(a["score"] for a in answers), 4)
    if is_adaptive(attempt):
        attempt.max_score = round(sum(a["question__points"] for a in answers), 4)
    attempt.percentage = (
        round(100.0 * attempt.score / attempt.max_score, 2) if attempt.max_score else 0.0
    )
    # An essay waiting for its grade is no 0: whether the attempt passed is not known yet.
    attempt.passed = (
        None if _pending_essays(answers) else attempt.percentage >= attempt.quiz.pass_percentage
    )
    attempt.save(update_fields=["finished_at", "score", "max_score", "percentage", "passed"])


def _log_progress(user: User, attempt: QuizAttempt) -> None:
    subject_id = attempt.quiz.subject_id
    if subject_id is None:
        return
    seconds = attempt_time_spent(attempt) or 0
    minutes = min(MAX_LOG_MINUTES, max(1, math.ceil(seconds / 60)))
    try:
        # QuizCompleted tells of this time: no StudyTimeLogged besides it.
        progress_log(user=user, subject_id=subject_id, minutes=minutes, announce=False)
    except NotFound:
        return  # a public quiz filed under its owner's private subject
    except ValidationFailed:
        return


def _graded_answers(answers: list[dict[str, Any]]) -> list[GradedAnswerPayload]:
    return [
        {
            "answer_id": a["id"],
            "question_id": a["question_id"],
            "correct": bool(a["is_correct"]),
            "topics": _tags(a["question__topics"]),
            "difficulty": a["question__difficulty"],
            "response_seconds": a["response_seconds"],
        }
        for a in answers
        if a["status"] == AnswerStatus.GRADED and a["is_correct"] is not None
    ]


def _tags(topics: object) -> list[str]:
    return [t for t in topics if isinstance(t, str)] if isinstance(topics, list) else []


def _record_completed(user: User, attempt: QuizAttempt, answers: list[dict[str, Any]]) -> None:
    """The attempt is finished once (its row is locked, a second finish is 409), so its stream
    is new: `expected_version=0` says so, and the append needs no lock of its own."""
    essays = sum(1 for a in answers if a["question__question_type"] == QuestionType.ESSAY)
    subject_name = answers[0]["question__quiz__subject__name"] if answers else None
    QUIZ_COMPLETED.record(
        aggregate_id=attempt.pk,
        payload={
            "essay_answers": essays,
            "pending_essays": _pending_essays(answers),
            "attempt_id": attempt.pk,
            "quiz_id": attempt.quiz_id,
            "user_id": user.pk,
            "subject_id": attempt.quiz.subject_id,
            "subject_name": subject_name,
            "mode": attempt.mode,
            "graded_answers": [] if is_adaptive(attempt) else _graded_answers(answers),
            "score": attempt.score,
            "max_score": attempt.max_score,
            "percentage": attempt.percentage,
            "passed": attempt.passed,
            "time_spent_seconds": attempt_time_spent(attempt),
            "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
            # Read already when the time was logged (the learner's profile).
            "timezone": user_timezone(user).key,
        },
        user=user,
        expected_version=0,
    )
