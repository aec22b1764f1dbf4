"""Quizzes written by the AI gateway from study material."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from study.selectors import subject_get, summary_get
from studymate_api.ai import (
    AITask,
    Difficulty,
    GeneratedQuestion,
    GenerateOptions,
    QuestionType,
    QuizInput,
    QuizQuestionSet,
    generate,
)
from studymate_api.core.errors import validation_failed

from ..models import Quiz
from .authoring import quiz_create

if TYPE_CHECKING:
    from accounts.models import User


def quiz_generate(
    *,
    user: User,
    subject_id: int,
    num_questions: int,
    question_types: Sequence[str],
    difficulty: str,
    source_text: str = "",
    summary_id: int | None = None,
    title: str = "",
    provider: str | None = None,
) -> Quiz:
    """Calls the gateway (outside any transaction; it charges the user's AI usage), then stores
    the validated questions as a private quiz of the user."""
    subject = subject_get(user=user, subject_id=subject_id)
    text = _source(user, source_text, summary_id)
    request = QuizInput(
        text,
        count=num_questions,
        types=tuple(QuestionType(t) for t in question_types),
        difficulty=Difficulty(difficulty),
    )
    result = generate(
        AITask.QUIZ_QUESTIONS, request, user=user, options=GenerateOptions(provider=provider)
    )
    questions = result.structured(QuizQuestionSet).questions
    return quiz_create(
        owner=user,
        subject_id=subject.pk,
        title=title.strip() or str(_("Quiz: %(subject)s")) % {"subject": subject.name},
        difficulty=difficulty,
        questions=[_question(q) for q in questions],
    )


def _source(user: User, source_text: str, summary_id: int | None) -> str:
    if source_text.strip():
        return source_text
    if summary_id is None:
        raise validation_failed("source_text", _("Give source_text or summary_id."))
    summary = summary_get(user=user, summary_id=summary_id)
    return summary.summary or summary.content


def _question(generated: GeneratedQuestion) -> dict[str, Any]:
    kind = str(generated.type)
    data: dict[str, Any] = {
        "question_type": kind,
        "text": generated.question,
        "difficulty": str(generated.difficulty),
        "explanation": generated.explanation or generated.source,
        "topics": list(generated.topics),
    }
    if kind in {QuestionType.MULTIPLE_CHOICE, QuestionType.MULTIPLE_SELECT}:
        answers = {a.casefold() for a in generated.answers}
        data["choices"] = [
            {"text": c, "is_correct": c.casefold() in answers} for c in generated.choices
        ]
    else:
        data["accepted_answers"] = list(generated.answers)
    return data
