"""Offline quiz questions built from the text's most important sentences and key concepts:
cloze questions (the concept blanked out), multiple choice with the text's other key concepts as
distractors, true/false statements (false ones have the concept swapped for another), "choose
every true statement", and essay prompts. Every answer is taken from the text, and the output is
the same JSON the model providers must return. Deterministic: choices are ordered by a hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..contracts import QuestionType, QuizInput
from .document import Document
from .josa import agree, both_forms
from .text import Language, Sentence

BLANK = "_____"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_MIN_CHARS, _MAX_CHARS = 20, 300
_MIN_TERMS = 3
# Short material ("광합성은 엽록체에서 일어난다. 엽록소는 빛을 흡수한다.") may have no sentence
# that long: then shorter sentences with fewer terms are asked about, rather than none.
_SHORT_MIN_CHARS, _SHORT_MIN_TERMS = 8, 2
_CONCEPT_POOL = 15

_WORDS: dict[Language, dict[str, str]] = {
    "ko": {
        "cloze_choice": "빈칸에 들어갈 알맞은 말을 고르세요.\n{stem}",
        "cloze_write": "빈칸에 들어갈 알맞은 말을 쓰세요.\n{stem}",
        "true_false": "다음 문장이 학습 자료의 내용과 맞으면 참, 틀리면 거짓을 고르세요.\n{stem}",
        "select": "다음 중 학습 자료의 내용과 맞는 것을 모두 고르세요.",
        "essay": "학습 자료를 바탕으로 '{concept}'에 대해 자신의 말로 설명하세요.",
        "source": "학습 자료의 문장: “{source}”",
    },
    "en": {
        "cloze_choice": "Which term fills the blank?\n{stem}",
        "cloze_write": "Fill in the blank.\n{stem}",
        "true_false": "True or false? {stem}",
        "select": "Which of these statements agree with the material? Choose all that apply.",
        "essay": "Based on the material, explain '{concept}' in your own words.",
        "source": "From the material: “{source}”",
    },
}


@dataclass(frozen=True)
class _Slot:
    """A sentence to ask about and the concept in it that is the answer."""

    sentence: Sentence
    concept: str
    distractors: tuple[str, ...]


def generate_questions(doc: Document, request: QuizInput) -> dict[str, Any]:
    concepts = _concept_pool(doc)
    slots = _slots(doc, concepts, request.count * 2)
    questions: list[dict[str, Any]] = []
    for slot in slots:
        if len(questions) == request.count:
            break
        kind = request.types[len(questions) % len(request.types)]
        spare = [s for s in slots if s is not slot]
        question = _build(kind, slot, spare, doc.language, len(questions))
        if question is None and QuestionType.SHORT_ANSWER in request.types:
            question = _build(QuestionType.SHORT_ANSWER, slot, spare, doc.language, 0)
        if question is not None:
            question["difficulty"] = str(request.difficulty)
            questions.append(question)
    return {"questions": questions}


def _concept_pool(doc: Document) -> list[str]:
    labels: list[str] = []
    for concept in doc.concepts:
        if concept.label.casefold() not in {label.casefold() for label in labels}:
            labels.append(concept.label)
        if len(labels) == _CONCEPT_POOL:
            break
    return labels


# What may follow a Korean concept in running text: a particle, the copula or a word boundary
# (not another syllable of a longer word: 산 is not in 산성, 염 is not in 염기).
_KO_AFTER = (
    r"(?=[^\uac00-\ud7a3]|$|(?:으로|에서|에게|까지|부터|처럼|보다|이라|이란|이다|이며|이고|이나|"
    r"은|는|이|가|을|를|의|에|와|과|도|만|로|란|라|인|며|나))"
)


def _occurrence(text: str, concept: str) -> re.Match[str] | None:
    if _HANGUL.search(concept):
        # Spacing is free in Korean (세포호흡, 세포 호흡): any spacing of the concept's letters.
        letters = r"\s?".join(re.escape(c) for c in concept.replace(" ", ""))
        return re.search(rf"(?<![\w]){letters}{_KO_AFTER}", text)
    return re.search(rf"(?<![\w]){re.escape(concept)}\b", text, flags=re.IGNORECASE)


def _slots(doc: Document, concepts: list[str], limit: int) -> list[_Slot]:
    return _slots_in(doc, concepts, limit, _MIN_CHARS, _MIN_TERMS) or _slots_in(
        doc, concepts, limit, _SHORT_MIN_CHARS, _SHORT_MIN_TERMS
    )


def _slots_in(
    doc: Document, concepts: list[str], limit: int, min_chars: int, min_terms: int
) -> list[_Slot]:
    ranked = sorted(range(len(doc.sentences)), key=lambda i: (-doc.scores[i], i))
    slots: list[_Slot] = []
    used: set[str] = set()
    for index in ranked:
        sentence = doc.sentences[index]
        if not min_chars <= len(sentence.text) <= _MAX_CHARS or len(sentence.terms) < min_terms:
            continue
        present = [c for c in concepts if _occurrence(sentence.text, c)]
        # Not "energy" again once "light energy" was an answer.
        fresh = [c for c in present if not _overlaps(c, used)] or present
        if not fresh:
            continue
        concept = fresh[0]
        used.add(concept.casefold())
        slots.append(_Slot(sentence, concept, _distractors(concept, concepts, sentence.text)))
        if len(slots) == limit:
            break
    return slots


def _overlaps(concept: str, others: set[str]) -> bool:
    key = concept.casefold()
    return any(key in other or other in key for other in others)


def _distractors(concept: str, concepts: list[str], sentence: str) -> tuple[str, ...]:
    """Other key concepts, not in the sentence and not overlapping the answer; those of the
    same number (English) and with as many words as the answer first, so no choice stands out
    by its shape."""
    key = concept.casefold()
    words = len(concept.split())
    options = [
        c
        for c in concepts
        if c.casefold() != key
        and c.casefold() not in key
        and key not in c.casefold()
        and not _occurrence(sentence, c)
    ]
    # A plural for a singular gives a false statement away ("Chloroplasts is the process").
    options.sort(key=lambda c: (_plural(c) != _plural(concept), abs(len(c.split()) - words)))
    return tuple(options[:3])


def _plural(term: str) -> bool:
    last = term.rsplit(" ", 1)[-1]
    return last.isascii() and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _swap(text: str, concept: str, replacement: str) -> str:
    match = _occurrence(text, concept)
    if match is None:
        return text
    found = match.group()
    if found[:1].isupper() and replacement[:1].islower():
        replacement = replacement[:1].upper() + replacement[1:]
    following = text[match.end() :]
    # The particle after the concept must fit what now stands there (세조는, not 세조은).
    following = both_forms(following) if replacement == BLANK else agree(replacement, following)
    return text[: match.start()] + replacement + following


def _ordered(choices: list[str], seed: str) -> list[str]:
    return sorted(choices, key=lambda c: hashlib.sha256(f"{seed}|{c}".encode()).hexdigest())


def _base(kind: QuestionType, question: str, slot: _Slot, lang: Language) -> dict[str, Any]:
    source = slot.sentence.text
    return {
        "type": str(kind),
        "question": question,
        "choices": [],
        "answers": [],
        "explanation": _WORDS[lang]["source"].format(source=source),
        "topics": [slot.concept],
        "source": source,
    }


def _multiple_choice(
    slot: _Slot, spare: list[_Slot], lang: Language, number: int
) -> dict[str, Any] | None:
    if len(slot.distractors) < 2:
        return None
    stem = _swap(slot.sentence.text, slot.concept, BLANK)
    question = _base(
        QuestionType.MULTIPLE_CHOICE, _WORDS[lang]["cloze_choice"].format(stem=stem), slot, lang
    )
    question["choices"] = _ordered([slot.concept, *slot.distractors], stem)
    question["answers"] = [slot.concept]
    return question


def _short_answer(
    slot: _Slot, spare: list[_Slot], lang: Language, number: int
) -> dict[str, Any] | None:
    stem = _swap(slot.sentence.text, slot.concept, BLANK)
    question = _base(
        QuestionType.SHORT_ANSWER, _WORDS[lang]["cloze_write"].format(stem=stem), slot, lang
    )
    question["answers"] = [slot.concept]
    return question


def _true_false(
    slot: _Slot, spare: list[_Slot], lang: Language, number: int
) -> dict[str, Any] | None:
    # Alternate true and false statements, so "always true" is no strategy.
    false = number % 2 == 1 and bool(slot.distractors)
    statement = (
        _swap(slot.sentence.text, slot.concept, slot.distractors[0])
        if false
        else slot.sentence.text
    )
    question = _base(
        QuestionType.TRUE_FALSE, _WORDS[lang]["true_false"].format(stem=statement), slot, lang
    )
    question["answers"] = ["false" if false else "true"]
    return question


def _multiple_select(
    slot: _Slot, spare: list[_Slot], lang: Language, number: int
) -> dict[str, Any] | None:
    partner = next((s for s in spare if s.distractors), None)
    if not slot.distractors or partner is None:
        return None
    true = [slot.sentence.text, partner.sentence.text]
    false = [
        _swap(slot.sentence.text, slot.concept, slot.distractors[0]),
        _swap(partner.sentence.text, partner.concept, partner.distractors[0]),
    ]
    question = _base(QuestionType.MULTIPLE_SELECT, _WORDS[lang]["select"], slot, lang)
    question["choices"] = _ordered([*true, *false], slot.sentence.text)
    question["answers"] = true
    question["topics"] = list(dict.fromkeys([slot.concept, partner.concept]))
    return question


def _essay(slot: _Slot, spare: list[_Slot], lang: Language, number: int) -> dict[str, Any] | None:
    question = _base(
        QuestionType.ESSAY, _WORDS[lang]["essay"].format(concept=slot.concept), slot, lang
    )
    question["answers"] = [slot.sentence.text]
    return question


_Builder = Callable[[_Slot, list[_Slot], Language, int], dict[str, Any] | None]
_BUILDERS: dict[QuestionType, _Builder] = {
    QuestionType.MULTIPLE_CHOICE: _multiple_choice,
    QuestionType.SHORT_ANSWER: _short_answer,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.MULTIPLE_SELECT: _multiple_select,
    QuestionType.ESSAY: _essay,
}


def _build(
    kind: QuestionType, slot: _Slot, spare: list[_Slot], lang: Language, number: int
) -> dict[str, Any] | None:
    return _BUILDERS[kind](slot, spare, lang, number)
