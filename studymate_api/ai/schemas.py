"""Structured outputs: what quiz generation, essay grading and key concepts must return.

Every provider's answer, the local one included, is validated against these models before a
caller sees it; strings are cleaned to plain text and cut to their limits on the way in. The
validation context carries what the request asked for (question types and count, the rubric),
so an answer that ignores the request is as invalid as one that is not JSON.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .contracts import MAX_QUIZ_QUESTIONS, Difficulty, QuestionType
from .plaintext import plain_line, plain_text

M = TypeVar("M", bound=BaseModel)


class OutputInvalid(Exception):
    """A model's answer does not fit the task's schema; the message says why, in words a model
    can act on when asked to repair it (it never quotes the answer)."""


def _text(limit: int) -> BeforeValidator:
    def clean(value: Any) -> Any:
        return plain_text(value, limit)[0] if isinstance(value, str) else value

    return BeforeValidator(clean)


def _line(limit: int) -> BeforeValidator:
    def clean(value: Any) -> Any:
        return plain_line(value, limit) if isinstance(value, str) else value

    return BeforeValidator(clean)


QuestionText = Annotated[str, _text(1000), Field(min_length=1)]
ChoiceText = Annotated[str, _line(300), Field(min_length=1)]
LongText = Annotated[str, _text(2000)]
Topic = Annotated[str, _line(60), Field(min_length=1)]
Concept = Annotated[str, _line(80), Field(min_length=1)]
CriterionName = Annotated[str, _line(200), Field(min_length=1)]
# Long enough for an essay's model answer; choice answers must equal a choice anyway.
AnswerText = Annotated[str, _line(1000), Field(min_length=1)]

_TRUE = {"true", "t", "yes", "o", "참", "맞다", "예"}
_FALSE = {"false", "f", "no", "x", "거짓", "틀리다", "아니오"}


class GeneratedQuestion(BaseModel):
    """One question. `answers` holds the correct choice texts (multiple_choice: exactly one),
    `"true"`/`"false"` for true_false, the accepted answers for short_answer and an optional model
    answer for essay. `source` is the passage of the material the question is based on."""

    model_config = ConfigDict(extra="ignore")

    type: QuestionType
    question: QuestionText
    choices: list[ChoiceText] = Field(default_factory=list, max_length=8)
    answers: list[AnswerText] = Field(default_factory=list, max_length=8)
    explanation: LongText = ""
    difficulty: Difficulty = Difficulty.MEDIUM
    topics: list[Topic] = Field(default_factory=list, max_length=5)
    source: LongText = ""

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        _SHAPES[self.type](self)
        return self


def _choice_question(question: GeneratedQuestion) -> None:
    by_key = {choice.casefold(): choice for choice in question.choices}
    if len(question.choices) < 2 or len(by_key) != len(question.choices):
        raise ValueError(f"{question.type} needs at least two distinct choices")
    if not question.answers or any(a.casefold() not in by_key for a in question.answers):
        raise ValueError("every answer must be the exact text of one of the choices")
    if question.type is QuestionType.MULTIPLE_CHOICE and len(question.answers) != 1:
        raise ValueError("multiple_choice has exactly one answer")
    question.answers = list(dict.fromkeys(by_key[a.casefold()] for a in question.answers))


def _true_false(question: GeneratedQuestion) -> None:
    values = {a.strip().casefold() for a in question.answers}
    if len(values) != 1 or not values <= _TRUE | _FALSE:
        raise ValueError('true_false has exactly one answer, "true" or "false"')
    question.answers = ["true" if values <= _TRUE else "false"]
    question.choices = []


def _short_answer(question: GeneratedQuestion) -> None:
    if not question.answers:
        raise ValueError("short_answer needs at least one accepted answer")
    question.choices = []


def _essay(question: GeneratedQuestion) -> None:
    question.choices = []
    question.answers = question.answers[:1]


_SHAPES: dict[QuestionType, Callable[[GeneratedQuestion], None]] = {
    QuestionType.MULTIPLE_CHOICE: _choice_question,
    QuestionType.MULTIPLE_SELECT: _choice_question,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.SHORT_ANSWER: _short_answer,
    QuestionType.ESSAY: _essay,
}


class QuizQuestionSet(BaseModel):
    """Validation context: `types` (allowed question types) and `count` (at most this many are
    kept)."""

    questions: list[GeneratedQuestion] = Field(min_length=1, max_length=2 * MAX_QUIZ_QUESTIONS)

    @model_validator(mode="after")
    def _as_requested(self, info: ValidationInfo) -> Self:
        context = info.context if isinstance(info.context, dict) else {}
        allowed = context.get("types")
        if allowed is not None:
            wrong = sorted({str(q.type) for q in self.questions if q.type not in allowed})
            if wrong:
                raise ValueError(f"question types not asked for: {', '.join(wrong)}")
        self.questions = self.questions[: int(context.get("count", MAX_QUIZ_QUESTIONS))]
        _deal_answer_positions(self.questions)
        return self


def _deal_answer_positions(questions: list[GeneratedQuestion]) -> None:
    """Moves the answer of each multiple-choice question to a position dealt from shuffled
    decks (one deck per number of choices, refilled when empty), so that across a quiz every
    position holds the answer equally often, whatever the provider did: language models put it
    at one favourite position far more often than chance, which a learner can learn to game.
    The other choices keep their order. Seeded by the questions' text: the same output is dealt
    the same way (a repaired or replayed answer does not move)."""
    seed = hashlib.sha256("\n".join(q.question for q in questions).encode()).digest()
    rng = random.Random(seed)  # noqa: S311 - a deal of positions, not a secret
    decks: dict[int, list[int]] = {}
    for question in questions:
        if question.type is not QuestionType.MULTIPLE_CHOICE:
            continue
        deck = decks.setdefault(len(question.choices), [])
        if not deck:
            deck.extend(range(len(question.choices)))
            rng.shuffle(deck)
        answer = question.answers[0]
        others = [choice for choice in question.choices if choice != answer]
        others.insert(deck.pop(), answer)
        question.choices = others


class CriterionScore(BaseModel):
    model_config = ConfigDict(extra="ignore")

    criterion: CriterionName
    score: float = Field(ge=0)
    max_score: float = Field(gt=0)
    feedback: LongText = ""

    @model_validator(mode="after")
    def _within_maximum(self) -> Self:
        if self.score > self.max_score + 1e-6:
            raise ValueError("a criterion's score exceeds its max_score")
        return self


class EssayGrade(BaseModel):
    """Validation context: `rubric`, a list of (criterion name, points). The criteria must be
    exactly the rubric's; `score` and `max_score` are recomputed from them, so the total always
    adds up whatever arithmetic the model did."""

    model_config = ConfigDict(extra="ignore")

    score: float = Field(ge=0)
    max_score: float = Field(gt=0)
    confidence: float = Field(ge=0, le=1)
    feedback: LongText
    criteria: list[CriterionScore] = Field(min_length=1)

    @model_validator(mode="after")
    def _matches_rubric(self, info: ValidationInfo) -> Self:
        context = info.context if isinstance(info.context, dict) else {}
        rubric: list[tuple[str, float]] = context.get("rubric") or []
        if rubric:
            _check_criteria(self.criteria, rubric)
        self.max_score = round(sum(c.max_score for c in self.criteria), 4)
        self.score = round(sum(c.score for c in self.criteria), 4)
        return self


def _check_criteria(criteria: list[CriterionScore], rubric: list[tuple[str, float]]) -> None:
    expected = {name.strip().casefold(): points for name, points in rubric}
    given = {c.criterion.strip().casefold(): c for c in criteria}
    if set(given) != set(expected) or len(given) != len(criteria):
        names = ", ".join(name for name, _ in rubric)
        raise ValueError(f"criteria must be exactly the rubric's, once each: {names}")
    for key, points in expected.items():
        if abs(given[key].max_score - points) > 0.01:
            raise ValueError(f"criterion {given[key].criterion!r} has max_score {points:g}")


class ConceptList(BaseModel):
    concepts: list[Concept] = Field(min_length=1, max_length=30)


# --- reading a model's answer -----------------------------------------------------------------

_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n?|\n?\s*```\s*$")


def parse_json_object(text: str) -> object:
    """The JSON object in a reply, tolerating Markdown fences and prose around it."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start == -1 or end < start:
        raise OutputInvalid("the reply contains no JSON object")
    try:
        return json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise OutputInvalid(f"the reply is not valid JSON ({error.msg} at {error.pos})") from None


def validate_output(model: type[M], value: object, context: dict[str, Any]) -> M:
    try:
        return model.model_validate(value, context=context)
    except ValidationError as error:
        raise OutputInvalid(describe(error)) from None


def describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False)[:8]:
        where = ".".join(str(part) for part in item["loc"]) or "reply"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)
