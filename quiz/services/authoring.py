"""Writes of quizzes and questions by their owner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from study.selectors import subject_get
from studymate_api.core.errors import Conflict, PermissionDenied, ValidationFailed

from ..caching import quizzes_invalidate_on_commit
from ..models import CHOICE_TYPES, Choice, Question, QuestionType, Quiz
from ..selectors import access_quiz, question_get, quiz_get_owned

if TYPE_CHECKING:
    from accounts.models import User

QUIZ_FIELDS = (
    "title",
    "difficulty",
    "time_limit_minutes",
    "is_public",
    "shuffle_questions",
    "shuffle_choices",
    "questions_per_attempt",
    "max_attempts",
    "pass_percentage",
    "show_answers",
)
QUESTION_FIELDS = (
    "question_type",
    "text",
    "points",
    "difficulty",
    "explanation",
    "topics",
    "order",
    "accepted_answers",
    "numeric_tolerance",
    "rubric",
)


def _subject_id(user: User, subject_id: int | None) -> int | None:
    # A quiz may only be filed under a subject its owner can see.
    return None if subject_id is None else subject_get(user=user, subject_id=subject_id).pk


@transaction.atomic
def quiz_create(
    *,
    owner: User,
    subject_id: int | None = None,
    questions: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> Quiz:
    """`fields`: any of QUIZ_FIELDS (`title` required); `questions` as `question_create` takes
    them (without `quiz_id`)."""
    data = {name: fields[name] for name in QUIZ_FIELDS if name in fields}
    quiz = Quiz.objects.create(owner=owner, subject_id=_subject_id(owner, subject_id), **data)
    quiz_questions_add(quiz=quiz, questions=questions)
    quizzes_invalidate_on_commit(quiz.pk)
    return access_quiz(user=owner, quiz_id=quiz.pk)


def quiz_questions_add(*, quiz: Quiz, questions: Sequence[Mapping[str, Any]]) -> None:
    """Stores `questions` (as `question_create` takes them, without `quiz_id`) in their order,
    in the caller's transaction; one that cannot be graded as its type says is a 400 naming it
    (`questions[0]`). The caller invalidates the quiz's cached reads."""
    for position, question in enumerate(questions):
        try:
            _question_create(quiz, {"order": position, **question})
        except ValidationFailed as error:
            raise ValidationFailed(fields={f"questions[{position}]": _flat(error)}) from None


def _flat(error: ValidationFailed) -> list[str]:
    return [f"{name}: {m}" for name, messages in (error.fields or {}).items() for m in messages]


@transaction.atomic
def quiz_update(*, user: User, quiz_id: int, data: Mapping[str, Any]) -> Quiz:
    quiz = quiz_get_owned(user=user, quiz_id=quiz_id)
    changed = [name for name in QUIZ_FIELDS if name in data]
    for name in changed:
        setattr(quiz, name, data[name])
    if "subject_id" in data:
        quiz.subject_id = _subject_id(user, data["subject_id"])
        changed.append("subject")
    if changed:
        quiz.save(update_fields=[*changed, "updated_at"])
        quizzes_invalidate_on_commit(quiz.pk)
    return access_quiz(user=user, quiz_id=quiz.pk)


@transaction.atomic
def quiz_delete(*, user: User, quiz_id: int) -> None:
    """Deleting would take other learners' attempts and results with it: a quiz someone else
    has taken cannot be deleted (409); its owner can make it private instead."""
    quiz = quiz_get_owned(user=user, quiz_id=quiz_id)
    if quiz.attempts.exclude(user=user).exists():
        raise Conflict(_("Other learners have taken this quiz; it cannot be deleted."))
    quiz.delete()
    quizzes_invalidate_on_commit(quiz_id)


@transaction.atomic
def question_create(*, user: User, quiz_id: int, data: Mapping[str, Any]) -> Question:
    quiz = quiz_get_owned(user=user, quiz_id=quiz_id)
    if "order" not in data:
        data = {**data, "order": quiz.questions.count()}
    quizzes_invalidate_on_commit(quiz.pk)
    return _question_create(quiz, data)


def _question_create(quiz: Quiz, data: Mapping[str, Any]) -> Question:
    values = {name: data[name] for name in QUESTION_FIELDS if name in data}
    choices = list(data.get("choices") or [])
    question = Question(quiz=quiz, **values)
    _normalize(question, choices)
    question.save()
    _choices_create(question, choices)
    return question


def _choices_create(question: Question, choices: list[Mapping[str, Any]]) -> None:
    Choice.objects.bulk_create(
        Choice(question=question, text=c["text"], is_correct=c.get("is_correct", False), order=i)
        for i, c in enumerate(choices)
    )


def _normalize(question: Question, choices: list[Mapping[str, Any]]) -> None:
    """Checks that the question can be graded as its type says; fills essay defaults."""
    kind = question.question_type
    if kind in CHOICE_TYPES:
        _check_choices(kind, choices)
    elif choices:
        raise ValidationFailed(fields={"choices": [_("Only choice questions have choices.")]})
    if kind == QuestionType.TRUE_FALSE:
        values = {str(a).strip().casefold() for a in question.accepted_answers}
        if len(question.accepted_answers) != 1 or not values <= {"true", "false"}:
            raise ValidationFailed(
                fields={"accepted_answers": [_('Give exactly one of "true" or "false".')]}
            )
        question.accepted_answers = [values.pop()]
    elif kind == QuestionType.SHORT_ANSWER and not question.accepted_answers:
        raise ValidationFailed(fields={"accepted_answers": [_("Give at least one answer.")]})
    elif kind == QuestionType.ESSAY:
        _check_rubric(question)


def _check_choices(kind: str, choices: list[Mapping[str, Any]]) -> None:
    correct = sum(1 for c in choices if c.get("is_correct"))
    if len(choices) < 2:
        raise ValidationFailed(fields={"choices": [_("Give at least two choices.")]})
    if kind == QuestionType.MULTIPLE_CHOICE and correct != 1:
        raise ValidationFailed(fields={"choices": [_("Mark exactly one choice correct.")]})
    if correct < 1:
        raise ValidationFailed(fields={"choices": [_("Mark at least one choice correct.")]})


def _check_rubric(question: Question) -> None:
    if not question.rubric:
        question.rubric = [{"name": "Content", "points": question.points}]
    names = [str(c.get("name", "")).strip().casefold() for c in question.rubric]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ValidationFailed(fields={"rubric": [_("Criterion names must be unique.")]})
    total = sum(float(c.get("points", 0)) for c in question.rubric)
    if any(float(c.get("points", 0)) <= 0 for c in question.rubric):
        raise ValidationFailed(fields={"rubric": [_("Each criterion needs positive points.")]})
    # The essay's points are what its rubric adds up to.
    question.points = round(total, 4)


def _question_owned(user: User, question_id: int) -> Question:
    question = question_get(user=user, question_id=question_id)
    if question.quiz.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner of a quiz can change it."))
    return question


@transaction.atomic
def question_update(*, user: User, question_id: int, data: Mapping[str, Any]) -> Question:
    """Any of QUESTION_FIELDS, and `choices` (which replace the old ones: refused once the
    question has answers, whose picks name the old choices)."""
    question = _question_owned(user, question_id)
    changed = [name for name in QUESTION_FIELDS if name in data]
    for name in changed:
        setattr(question, name, data[name])
    if "choices" in data:
        if question.answers.exists():
            raise Conflict(_("This question has answers; its choices cannot be replaced."))
        choices = list(data["choices"] or [])
    else:
        choices = [{"text": c.text, "is_correct": c.is_correct} for c in question.choices.all()]
    _normalize(question, choices)
    # Normalizing may set an essay's points from its rubric and tidy true/false answers.
    question.save(update_fields=sorted({*changed, "points", "accepted_answers", "rubric"}))
    if "choices" in data:
        question.choices.all().delete()
        _choices_create(question, choices)
    quizzes_invalidate_on_commit(question.quiz_id)
    return question


@transaction.atomic
def question_delete(*, user: User, question_id: int) -> None:
    question = _question_owned(user, question_id)
    question.delete()
    quizzes_invalidate_on_commit(question.quiz_id)
