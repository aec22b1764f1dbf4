"""What callers hand the gateway and what they get back, and what the gateway hands a provider.

The inputs (`PromptParts`) hold only learner- or author-supplied data plus parameters the
caller validated; the system instructions come from the task catalog and cannot be set by a
caller, which is what keeps user text out of the system prompt.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel

from studymate_api.core.errors import ValidationFailed, validation_failed

T = TypeVar("T", bound=BaseModel)

MAX_QUIZ_QUESTIONS = 20


class AITask(StrEnum):
    SUMMARY_BRIEF = "summary_brief"
    SUMMARY_DETAILED = "summary_detailed"
    SUMMARY_BULLETS = "summary_bullets"
    KEY_CONCEPTS = "key_concepts"
    QUIZ_QUESTIONS = "quiz_questions"
    ESSAY_GRADING = "essay_grading"
    CHAT = "chat"


class QuestionType(StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    MULTIPLE_SELECT = "multiple_select"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"
    ESSAY = "essay"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


def _require_text(name: str, value: str) -> None:
    if not value.strip():
        raise validation_failed(name, "This field may not be blank.")


@dataclass(frozen=True)
class TextInput:
    """Study material to summarize or to mine for key concepts."""

    text: str

    def __post_init__(self) -> None:
        _require_text("text", self.text)

    def sections(self) -> tuple[tuple[str, str], ...]:
        return (("MATERIAL", self.text),)

    def parameters(self) -> dict[str, object]:
        return {}


DEFAULT_QUESTION_TYPES = (
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.TRUE_FALSE,
    QuestionType.SHORT_ANSWER,
)


@dataclass(frozen=True)
class QuizInput:
    """Material to write quiz questions about; `count` is a maximum, a model may return fewer."""

    text: str
    count: int = 5
    types: tuple[QuestionType, ...] = DEFAULT_QUESTION_TYPES
    difficulty: Difficulty = Difficulty.MEDIUM

    def __post_init__(self) -> None:
        _require_text("text", self.text)
        if not 1 <= self.count <= MAX_QUIZ_QUESTIONS:
            raise validation_failed("count", f"Ask for 1 to {MAX_QUIZ_QUESTIONS} questions.")
        if not self.types:
            raise validation_failed("types", "Name at least one question type.")

    def sections(self) -> tuple[tuple[str, str], ...]:
        return (("MATERIAL", self.text),)

    def parameters(self) -> dict[str, object]:
        return {
            "question_count": self.count,
            "question_types": [str(kind) for kind in self.types],
            "difficulty": str(self.difficulty),
        }


@dataclass(frozen=True)
class RubricCriterion:
    """One criterion of an essay rubric, written by the quiz owner (untrusted text)."""

    name: str
    points: float
    description: str = ""
    # Terms a good answer mentions; the offline grader scores on them.
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class EssayInput:
    question: str
    answer: str
    rubric: tuple[RubricCriterion, ...]
    # The owner's model answer, if any.
    reference: str = ""

    def __post_init__(self) -> None:
        _require_text("question", self.question)
        if not self.rubric or any(c.points <= 0 or not c.name.strip() for c in self.rubric):
            raise validation_failed("rubric", "Each criterion needs a name and positive points.")
        names = [c.name.strip().casefold() for c in self.rubric]
        if len(set(names)) != len(names):
            raise validation_failed("rubric", "Criterion names must be unique.")

    @property
    def max_score(self) -> float:
        return round(sum(c.points for c in self.rubric), 4)

    def sections(self) -> tuple[tuple[str, str], ...]:
        rubric = "\n".join(_criterion_line(c) for c in self.rubric)
        sections = [("QUESTION", self.question), ("RUBRIC", rubric)]
        if self.reference.strip():
            sections.append(("REFERENCE ANSWER", self.reference))
        sections.append(("LEARNER ANSWER", self.answer))
        return tuple(sections)

    def parameters(self) -> dict[str, object]:
        return {"max_score": self.max_score, "criteria_count": len(self.rubric)}


def _criterion_line(criterion: RubricCriterion) -> str:
    line = f"- {criterion.name} ({criterion.points:g} points)"
    if criterion.description:
        line += f": {criterion.description}"
    if criterion.keywords:
        line += f" [key terms: {', '.join(criterion.keywords)}]"
    return line


@dataclass(frozen=True)
class ChatInput:
    """A learner's question, optionally about some of their material."""

    message: str
    context: str = ""

    def __post_init__(self) -> None:
        _require_text("message", self.message)

    def sections(self) -> tuple[tuple[str, str], ...]:
        if self.context.strip():
            return (("STUDY MATERIAL", self.context), ("QUESTION", self.message))
        return (("QUESTION", self.message),)

    def parameters(self) -> dict[str, object]:
        return {}


PromptParts = TextInput | QuizInput | EssayInput | ChatInput


def input_size(parts: PromptParts) -> int:
    return sum(len(value) for _, value in parts.sections())


@dataclass(frozen=True)
class GenerateOptions:
    # The provider to try first: the request's explicit choice, else the user's preference.
    provider: str | None = None
    # False: only that first provider is tried (an error is raised instead of falling back).
    fallback: bool = True
    # A tighter output limit than the task's own, in characters.
    max_chars: int | None = None

    def __post_init__(self) -> None:
        if self.max_chars is not None and self.max_chars < 1:
            raise ValidationFailed(fields={"max_chars": ["Must be at least 1."]})


@dataclass(frozen=True)
class AIResult:
    """The answer to one `generate` call.

    `text` is plain text within the task's length limit (for structured tasks, the validated
    data as JSON). Tokens and cost are totals over every attempt the request took, retries and
    repairs included: what the request cost. `provider`/`model` are those that answered.
    """

    task: AITask
    text: str
    data: BaseModel | None
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    latency_ms: int
    request_id: UUID
    attempts: int
    # Answered by a provider other than the first one tried.
    fallback: bool = False
    truncated: bool = False

    @property
    def tokens_used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def structured(self, kind: type[T]) -> T:
        """The structured output as `kind` (e.g. `QuizQuestionSet`); TypeError if it is not."""
        if not isinstance(self.data, kind):
            raise TypeError(f"{self.task} produced {type(self.data).__name__}, not {kind.__name__}")
        return self.data


@dataclass(frozen=True)
class UsageSummary:
    """What a request spent, handed to the credit hook when it settles."""

    request_id: UUID
    task: AITask
    succeeded: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    provider: str = ""
    model: str = ""


# --- between the gateway and a provider ------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class ProviderRequest:
    task: AITask
    # Ours, fixed per task.
    system: str
    # The first is the rendered learner data; a repair adds the bad reply and our correction.
    messages: tuple[ChatMessage, ...]
    # The raw inputs, for the local provider, which works on them rather than on prompts.
    parts: PromptParts
    max_tokens: int
    json_output: bool = False


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int = field(default=0, compare=False)


# A provider's streamed answer: text pieces as they arrive, then the completion as the
# generator's return value.
TextStream = Generator[str, None, Completion]
