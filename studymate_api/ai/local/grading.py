"""Offline essay grading by coverage of the rubric's points: each criterion earns the share of
its points (the owner's keywords, else key concepts of the criterion's description and the
reference answer) that the essay explains in a sentence of its own.

A point counts when a sentence mentions it (compared as `studymate_api.core.text_matching`
compares answers: spacing inside Korean, particles and English word endings do not matter) and
says something around it: at least one word that is no rubric point, and two pieces of sentence
beyond the points (such words, or particles on the points). "광합성은 엽록체에서 일어난다"
explains 광합성 and 엽록체; "광합성, 엽록체, 포도당" or a bulleted list of the keywords explains
nothing, so a list of the keywords does not score. A point that is only named is reported as
such, for no credit.

It cannot judge whether what is said is right, so its confidence is always low and a quiz
owner should review the grade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studymate_api.core.text_matching import comparison_key, mentions, without_trailing_particle

from ..contracts import EssayInput, RubricCriterion
from .document import analyze
from .text import Language, language, split_sentences

# Keyword lists the owner wrote are a better basis than concepts we derive.
CONFIDENCE_WITH_KEYWORDS = 0.35
CONFIDENCE_DERIVED = 0.2
CONFIDENCE_SHORT_ANSWER = 0.1
_SHORT_ANSWER_WORDS = 5
# What a sentence must say besides the rubric's points for a point in it to count as explained.
_MIN_OTHER_WORDS = 1
_MIN_SURROUNDING_PIECES = 2

_WORDS: dict[Language, dict[str, str]] = {
    "ko": {
        "covered": "문장으로 설명한 핵심어: {terms}.",
        "listed": "설명 없이 이름만 쓴 핵심어: {terms}.",
        "missing": "빠진 핵심어: {terms}.",
        "none": "채점할 핵심어가 없습니다.",
        "overall": "핵심어를 문장 속에서 설명했는지 자동으로 검사한 잠정 점수입니다"
        "(핵심어 {found}/{total}개). 선생님이 검토할 예정입니다.",
    },
    "en": {
        "covered": "Explained: {terms}.",
        "listed": "Named without explanation: {terms}.",
        "missing": "Missing: {terms}.",
        "none": "No key terms to grade on.",
        "overall": "Provisional score from an automatic check of which key terms the answer "
        "explains in its sentences ({found} of {total}). A teacher will review it.",
    },
}


@dataclass(frozen=True)
class _Sentence:
    key: str
    # Says something around the points it mentions (see the module docstring).
    explains: bool


def _points(criterion: RubricCriterion, essay: EssayInput) -> list[str]:
    if criterion.keywords:
        return [k for k in criterion.keywords if k.strip()]
    basis = f"{criterion.description}\n{essay.reference}".strip() or essay.question
    return [c.label for c in analyze(basis).concepts[:5]]


def _point_key(point: str) -> str:
    # An owner's keyword may carry a particle ("엽록체에서"); the essay may use another one.
    key = comparison_key(point)
    return without_trailing_particle(key) or key


def _read(text: str, point_keys: list[str]) -> _Sentence:
    other_words = particles_on_points = 0
    for chunk in text.split():
        key = comparison_key(chunk)
        if not key.strip():
            continue  # punctuation
        bare = without_trailing_particle(key)
        if not any(mentions(point, bare or key) for point in point_keys):
            other_words += 1
        elif bare is not None:
            particles_on_points += 1
    explains = (
        other_words >= _MIN_OTHER_WORDS
        and other_words + particles_on_points >= _MIN_SURROUNDING_PIECES
    )
    return _Sentence(comparison_key(text), explains)


def _criterion(
    criterion: RubricCriterion, points: list[str], sentences: list[_Sentence], lang: Language
) -> tuple[dict[str, Any], int]:
    covered, listed, missing = [], [], []
    for point in points:
        key = _point_key(point)
        found_in = [s for s in sentences if mentions(s.key, key)]
        if any(s.explains for s in found_in):
            covered.append(point)
        elif found_in:
            listed.append(point)
        else:
            missing.append(point)
    share = len(covered) / len(points) if points else 0.0
    score = min(criterion.points, round(criterion.points * share * 2) / 2)
    words = _WORDS[lang]
    notes = [
        words[kind].format(terms=", ".join(terms))
        for kind, terms in (("covered", covered), ("listed", listed), ("missing", missing))
        if terms
    ]
    result = {
        "criterion": criterion.name,
        "score": score,
        "max_score": criterion.points,
        "feedback": " ".join(notes) or words["none"],
    }
    return result, len(covered)


def grade(essay: EssayInput) -> dict[str, Any]:
    lang = language(f"{essay.question} {essay.answer}")
    points = [_points(criterion, essay) for criterion in essay.rubric]
    point_keys = [_point_key(p) for criterion_points in points for p in criterion_points]
    sentences = [_read(s.text, point_keys) for s in split_sentences(essay.answer)]
    criteria, found = [], 0
    for criterion, criterion_points in zip(essay.rubric, points, strict=True):
        result, explained = _criterion(criterion, criterion_points, sentences, lang)
        criteria.append(result)
        found += explained
    confidence = (
        CONFIDENCE_WITH_KEYWORDS if all(c.keywords for c in essay.rubric) else CONFIDENCE_DERIVED
    )
    if len(essay.answer.split()) < _SHORT_ANSWER_WORDS:
        confidence = CONFIDENCE_SHORT_ANSWER
    return {
        "criteria": criteria,
        "score": sum(c["score"] for c in criteria),
        "max_score": essay.max_score,
        "feedback": _WORDS[lang]["overall"].format(found=found, total=len(point_keys)),
        "confidence": confidence,
    }
