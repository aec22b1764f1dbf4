"""Offline essay grading by key-term coverage: each rubric criterion earns the share of its key
terms the answer mentions (the owner's keywords, else key concepts of the criterion's
description and the reference answer). It cannot judge reasoning, so its confidence is always
low and a quiz owner should review the grade."""

from __future__ import annotations

from typing import Any

from ..contracts import EssayInput, RubricCriterion
from .document import analyze
from .text import Language, language, split_sentences, tokenize

# Keyword lists the owner wrote are a better basis than concepts we derive.
CONFIDENCE_WITH_KEYWORDS = 0.35
CONFIDENCE_DERIVED = 0.2
CONFIDENCE_SHORT_ANSWER = 0.1
_SHORT_ANSWER_TERMS = 5

_WORDS: dict[Language, dict[str, str]] = {
    "ko": {
        "covered": "다룬 핵심어: {terms}.",
        "missing": "빠진 핵심어: {terms}.",
        "none": "채점할 핵심어가 없습니다.",
        "overall": "핵심어 자동 검사로 매긴 잠정 점수입니다(핵심어 {found}/{total}개). "
        "선생님이 검토할 예정입니다.",
    },
    "en": {
        "covered": "Covered: {terms}.",
        "missing": "Missing: {terms}.",
        "none": "No key terms to grade on.",
        "overall": "Provisional score from an automatic key-term check ({found} of {total} key "
        "terms). A teacher will review it.",
    },
}


def _stems(text: str) -> set[str]:
    sentences = split_sentences(text)
    tokenize(sentences)
    return {term for sentence in sentences for term in sentence.terms}


def _keywords(criterion: RubricCriterion, essay: EssayInput) -> list[str]:
    if criterion.keywords:
        return [k for k in criterion.keywords if k.strip()]
    basis = f"{criterion.description}\n{essay.reference}".strip() or essay.question
    return [c.label for c in analyze(basis).concepts[:5]]


def _mentions(keyword: str, answer_stems: set[str], answer_text: str) -> bool:
    stems = _stems(keyword)
    return (bool(stems) and stems <= answer_stems) or keyword.casefold() in answer_text


def _criterion(
    criterion: RubricCriterion, essay: EssayInput, stems: set[str], lang: Language
) -> tuple[dict[str, Any], int, int]:
    keywords = _keywords(criterion, essay)
    found = [k for k in keywords if _mentions(k, stems, essay.answer.casefold())]
    missing = [k for k in keywords if k not in found]
    share = len(found) / len(keywords) if keywords else 0.0
    score = min(criterion.points, round(criterion.points * share * 2) / 2)
    words = _WORDS[lang]
    notes = [words["covered"].format(terms=", ".join(found))] if found else []
    notes += [words["missing"].format(terms=", ".join(missing))] if missing else []
    result = {
        "criterion": criterion.name,
        "score": score,
        "max_score": criterion.points,
        "feedback": " ".join(notes) or words["none"],
    }
    return result, len(found), len(keywords)


def grade(essay: EssayInput) -> dict[str, Any]:
    lang = language(f"{essay.question} {essay.answer}")
    stems = _stems(essay.answer)
    criteria, found, total = [], 0, 0
    for criterion in essay.rubric:
        result, hits, count = _criterion(criterion, essay, stems, lang)
        criteria.append(result)
        found, total = found + hits, total + count
    confidence = (
        CONFIDENCE_WITH_KEYWORDS if all(c.keywords for c in essay.rubric) else CONFIDENCE_DERIVED
    )
    if len(stems) < _SHORT_ANSWER_TERMS:
        confidence = CONFIDENCE_SHORT_ANSWER
    return {
        "criteria": criteria,
        "score": sum(c["score"] for c in criteria),
        "max_score": essay.max_score,
        "feedback": _WORDS[lang]["overall"].format(found=found, total=total),
        "confidence": confidence,
    }
