"""Turning a provider's raw reply into what the gateway returns: plain text within the task's
limit and, for structured tasks, data validated against the request. Raises `OutputInvalid`
when the reply cannot be used."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .catalog import TaskSpec
from .contracts import AITask, EssayInput, PromptParts, QuizInput
from .plaintext import plain_line, plain_text
from .schemas import (
    ConceptList,
    EssayGrade,
    OutputInvalid,
    QuizQuestionSet,
    parse_json_object,
    validate_output,
)

_LIST_MARKER = re.compile(r"^\s*(?:[-*•·‣▪]|\d{1,2}[.)])\s*")


@dataclass(frozen=True)
class Output:
    text: str
    data: BaseModel | None
    truncated: bool


def finish(spec: TaskSpec, raw: str, parts: PromptParts, limit: int) -> Output:
    if spec.structured:
        return _structured(spec.task, raw, parts)
    text, truncated = plain_text(raw, limit)
    if spec.task is AITask.SUMMARY_BULLETS:
        text = "\n".join(f"- {item}" for item in _list_items(text))
    if not text:
        raise OutputInvalid("the reply is empty")
    if spec.task is AITask.KEY_CONCEPTS:
        concepts = validate_output(ConceptList, {"concepts": _concepts(text)}, {})
        return Output("\n".join(concepts.concepts), concepts, truncated)
    return Output(text, None, truncated)


def _list_items(text: str) -> list[str]:
    return [item for line in text.split("\n") if (item := _LIST_MARKER.sub("", line).strip())]


def _concepts(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for item in _list_items(text):
        concept = plain_line(item.rstrip(".,;:。"), 80)
        seen.setdefault(concept.casefold(), concept)
    return list(seen.values())[:30]


def _structured(task: AITask, raw: str, parts: PromptParts) -> Output:
    value = parse_json_object(raw)
    data: BaseModel
    if task is AITask.QUIZ_QUESTIONS:
        data = validate_output(QuizQuestionSet, value, _context(parts))
    else:
        data = validate_output(EssayGrade, value, _context(parts))
    return Output(data.model_dump_json(), data, False)


def _context(parts: PromptParts) -> dict[str, Any]:
    if isinstance(parts, QuizInput):
        return {"types": set(parts.types), "count": parts.count}
    if isinstance(parts, EssayInput):
        return {"rubric": [(c.name, c.points) for c in parts.rubric]}
    return {}
