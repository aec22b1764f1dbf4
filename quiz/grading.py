"""Grading of the automatically graded question types: pure functions, no database."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from studymate_api.core.text_matching import short_answer_matches_key

_SPACES = re.compile(r"\s+")
# Trailing sentence punctuation a learner may or may not type ("서울." == "서울").
# (NFKC has already turned full-width ones into these.)
_TRAILING_PUNCTUATION = ".,!?;:。、"


@dataclass(frozen=True)
class Grade:
    is_correct: bool
    score: float


def _points(fraction: float, points: float) -> float:
    return round(max(0.0, min(1.0, fraction)) * points, 4)


def grade_single_choice(selected: int, correct: Collection[int], points: float) -> Grade:
    ok = selected in correct
    return Grade(is_correct=ok, score=points if ok else 0.0)


def grade_multiple_select(
    selected: Iterable[int], correct: Collection[int], points: float
) -> Grade:
    """Partial credit: (correct picks - wrong picks) / number of correct choices, at least 0.
    Full marks only for exactly the correct set."""
    picks = set(selected)
    right, wrong = len(picks & set(correct)), len(picks - set(correct))
    if not correct:
        return Grade(is_correct=not picks, score=points if not picks else 0.0)
    ok = picks == set(correct)
    return Grade(is_correct=ok, score=_points((right - wrong) / len(correct), points))


def grade_true_false(answer: bool, correct: bool, points: float) -> Grade:
    ok = answer is correct
    return Grade(is_correct=ok, score=points if ok else 0.0)


def normalize_text(text: str) -> str:
    """NFKC folds full-width and half-width forms (full-width Latin to ASCII, half-width
    katakana to full-width), NFC composes Hangul jamo into syllables; then case-folding, one
    space between words, no trailing punctuation."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text))
    text = _SPACES.sub(" ", text.casefold()).strip()
    return text.rstrip(_TRAILING_PUNCTUATION).strip()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def short_answer_matches(answer: str, accepted: Iterable[str], tolerance: float | None) -> bool:
    """Every accepted answer is a key of its own, read the same way: a number within the
    tolerance, or the same text as `studymate_api.core.text_matching` compares texts (spacing
    inside Korean, a trailing particle, English word endings, case, width and punctuation do
    not count)."""
    given = normalize_text(answer)
    for candidate in accepted:
        if tolerance is not None:
            a, b = _number(given), _number(normalize_text(candidate))
            if a is not None and b is not None and abs(a - b) <= tolerance + 1e-9:
                return True
        if short_answer_matches_key(answer, candidate):
            return True
    return False


def grade_short_answer(
    answer: str, accepted: Iterable[str], points: float, tolerance: float | None = None
) -> Grade:
    ok = short_answer_matches(answer, accepted, tolerance)
    return Grade(is_correct=ok, score=points if ok else 0.0)
