"""The built-in offline provider: always enabled, deterministic, free. It works on the request's
raw inputs rather than on prompts, and answers in the same formats the model providers must
(bullets as "- " lines, concepts one per line, quiz and grading as the schemas' JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ..config import local_model
from ..contracts import (
    AITask,
    ChatInput,
    Completion,
    EssayInput,
    PromptParts,
    ProviderRequest,
    QuizInput,
    TextInput,
    TextStream,
)
from ..local import summarize
from ..local.answer import answer
from ..local.concepts import top_labels
from ..local.document import Document, analyze
from ..local.grading import grade
from ..local.quiz import generate_questions
from ..tokens import approx_prompt_tokens, approx_tokens

KEY_CONCEPT_COUNT = 8
_PIECE = re.compile(r"\S+\s*")


def _text_of(parts: PromptParts) -> Document:
    if not isinstance(parts, TextInput | QuizInput):
        raise TypeError(f"{type(parts).__name__} carries no material to analyse")
    return analyze(parts.text)


def _quiz(parts: PromptParts) -> str:
    assert isinstance(parts, QuizInput)
    return json.dumps(generate_questions(_text_of(parts), parts), ensure_ascii=False)


def _essay(parts: PromptParts) -> str:
    assert isinstance(parts, EssayInput)
    return json.dumps(grade(parts), ensure_ascii=False)


def _chat(parts: PromptParts) -> str:
    assert isinstance(parts, ChatInput)
    return answer(parts.message, parts.context)


_ANSWERS: dict[AITask, Callable[[PromptParts], str]] = {
    AITask.SUMMARY_BRIEF: lambda parts: summarize.brief(_text_of(parts)),
    AITask.SUMMARY_DETAILED: lambda parts: summarize.detailed(_text_of(parts)),
    AITask.SUMMARY_BULLETS: lambda parts: summarize.bullets(_text_of(parts)),
    AITask.KEY_CONCEPTS: lambda parts: "\n".join(
        top_labels(_text_of(parts).concepts, KEY_CONCEPT_COUNT)
    ),
    AITask.QUIZ_QUESTIONS: _quiz,
    AITask.ESSAY_GRADING: _essay,
    AITask.CHAT: _chat,
}


class LocalProvider:
    name = "local"

    def __init__(self) -> None:
        self.model = local_model()

    def complete(self, request: ProviderRequest) -> Completion:
        text = _ANSWERS[request.task](request.parts)
        return Completion(text, self.model, approx_prompt_tokens(request), approx_tokens(text))

    def open_stream(self, request: ProviderRequest) -> TextStream:
        return _word_by_word(self.complete(request))


def _word_by_word(completion: Completion) -> TextStream:
    for match in _PIECE.finditer(completion.text):
        yield match.group()
    return completion
