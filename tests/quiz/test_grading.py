"""The pure grading functions: every auto-graded type, partial credit, Korean normalization."""

from __future__ import annotations

import unicodedata

import pytest

from quiz.grading import (
    grade_multiple_select,
    grade_short_answer,
    grade_single_choice,
    grade_true_false,
    normalize_text,
)


def test_single_choice():
    assert grade_single_choice(2, [2], 3).score == 3
    assert grade_single_choice(1, [2], 3).is_correct is False
    assert grade_single_choice(1, [2], 3).score == 0


@pytest.mark.parametrize(
    ("picks", "score", "correct"),
    [
        ([1, 2], 4.0, True),  # both right
        ([1], 2.0, False),  # half of the right ones
        ([1, 3], 0.0, False),  # one right, one wrong
        ([1, 2, 3], 2.0, False),  # (2 - 1) / 2
        ([3, 4], 0.0, False),  # floored at 0, never negative
        ([], 0.0, False),
    ],
)
def test_multiple_select_partial_credit(picks, score, correct):
    grade = grade_multiple_select(picks, [1, 2], 4)
    assert grade.score == score
    assert grade.is_correct is correct


def test_true_false():
    assert grade_true_false(True, True, 1).is_correct
    assert grade_true_false(False, True, 1).score == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("  Chloroplast. ", "chloroplast"),
        ("\uff21\uff22\uff23", "abc"),  # full-width Latin
        ("\uff76\uff80\uff76\uff85", "カタカナ"),  # half-width katakana
        ("엽록체", "엽록체"),
        ("세종   대왕", "세종 대왕"),
        ("서울。", "서울"),
    ],
)
def test_normalize_text(given, expected):
    assert normalize_text(given) == expected


def test_korean_answer_in_decomposed_jamo_matches():
    decomposed = unicodedata.normalize("NFD", "엽록체")
    assert decomposed != "엽록체"
    assert grade_short_answer(decomposed, ["엽록체"], 1).is_correct


@pytest.mark.parametrize(
    ("answer", "ok"),
    [("엽록체", True), ("엽록체!", True), ("CHLOROPLAST", True), ("미토콘드리아", False)],
)
def test_short_answer_accepts_any_accepted_answer(answer, ok):
    assert grade_short_answer(answer, ["엽록체", "chloroplast"], 2).is_correct is ok


@pytest.mark.parametrize(
    ("answer", "ok"),
    [("3.14", True), ("3.15", True), ("3.13", True), ("3.16", False), ("pi", False)],
)
def test_numeric_tolerance(answer, ok):
    assert grade_short_answer(answer, ["3.14"], 1, tolerance=0.01).is_correct is ok


def test_no_tolerance_means_exact_text():
    assert not grade_short_answer("3.140", ["3.14"], 1).is_correct


@pytest.mark.parametrize(
    ("answer", "key"),
    [("running", "run"), ("studied", "studies"), ("photosynthesis", "Photosynthesis.")],
)
def test_english_answers_match_by_snowball_stem(answer, key):
    assert grade_short_answer(answer, [key], 1).is_correct
