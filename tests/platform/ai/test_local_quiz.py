"""Offline quizzes a learner cannot pass by their shape: true/false about half true in an order
seeded by the input (no alternation, the same quiz for the same request), false statements that
swap a concept for another of the same kind with the particle fitted to it, distractors that
are other concepts of the text and change from question to question, the correct choice in
every position about equally often, and explanations that cite the source sentence."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from studymate_api.ai import AITask, QuestionType, QuizInput, QuizQuestionSet, generate
from studymate_api.ai.local.document import analyze
from tests.platform.ai.texts import EN, EN_CELLS, KO, KO_HISTORY

pytestmark = pytest.mark.django_db

PASSAGES = Path(__file__).resolve().parents[3] / "bench" / "data" / "passages"


def _passage(name: str) -> str:
    return (PASSAGES / name).read_text(encoding="utf-8").split("\n---\n", 1)[1].strip()


SAMPLES = {
    "ko_photosynthesis": KO,
    "en_photosynthesis": EN,
    "ko_history": KO_HISTORY,
    "en_cells": EN_CELLS,
    "ko_joseon": _passage("ko_01_history_joseon.txt"),
    "en_industrial": _passage("en_02_history_industrial.txt"),
}


def _quiz(text: str, count: int, *types: QuestionType) -> list:
    request = QuizInput(text, count=count, types=types)
    return generate(AITask.QUIZ_QUESTIONS, request).structured(QuizQuestionSet).questions


def _statement(question) -> str:
    """A true/false question's statement: its last line, less the English lead-in."""
    return question.question.split("\n")[-1].removeprefix("True or false? ")


def _swapped(source: str, statement: str) -> tuple[str, str]:
    """(the words taken out of the source, the words put in), widened to whole words."""
    prefix = len(source) - len(source.lstrip())
    while prefix < min(len(source), len(statement)) and source[prefix] == statement[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(source), len(statement)) - prefix
        and source[-1 - suffix] == statement[-1 - suffix]
    ):
        suffix += 1
    start = prefix
    while start > 0 and not source[start - 1].isspace():
        start -= 1
    end = len(source) - suffix
    while end < len(source) and source[end] not in " ,.":
        end += 1
    shift = len(statement) - len(source)
    return source[start:end], statement[start : end + shift]


# Two-form particles as (after a final consonant, after a vowel); the test's own table.
_PARTICLES = (("은", "는"), ("이", "가"), ("을", "를"), ("과", "와"), ("으로", "로"))


def _particle_fits(word: str) -> bool:
    """A Korean word with a two-form particle on it uses the form its noun's last sound takes
    (세조는, 이성계가; 물로, 산으로)."""
    for consonant, vowel in _PARTICLES:
        for form in (consonant, vowel):
            noun = word.removesuffix(form)
            if noun == word or not noun or not "\uac00" <= noun[-1] <= "\ud7a3":
                continue
            final = (ord(noun[-1]) - 0xAC00) % 28
            if consonant == "으로":
                return (form == "로") == (final in (0, 8))
            return (form == vowel) == (final == 0)
    return True


def test_true_false_is_about_half_true_in_a_seeded_order():
    verdicts = []
    for text, count in itertools.product(SAMPLES.values(), range(4, 11)):
        answers = [q.answers[0] for q in _quiz(text, count, QuestionType.TRUE_FALSE)]
        assert len(answers) >= 3
        # Never more than one statement more of one verdict than of the other.
        assert abs(answers.count("true") - answers.count("false")) <= 1, answers
        verdicts.append(answers)

    share = sum(a.count("true") for a in verdicts) / sum(len(a) for a in verdicts)
    assert 0.45 <= share <= 0.55
    alternating = [a for a in verdicts if all(x != y for x, y in itertools.pairwise(a))]
    assert len(alternating) <= len(verdicts) // 5
    assert {a[0] for a in verdicts} == {"true", "false"}
    # Seeded by the input: the same request gives the same quiz, another count another order.
    again = [[q.answers[0] for q in _quiz(KO_HISTORY, n, QuestionType.TRUE_FALSE)] for n in (6, 8)]
    assert again == [verdicts[2 * 7 + 2], verdicts[2 * 7 + 4]]
    assert len({tuple(a[:4]) for a in verdicts}) > 3


@pytest.mark.parametrize("name", SAMPLES)
def test_a_false_statement_swaps_a_concept_for_one_of_its_kind(name):
    text = SAMPLES[name]
    concepts = {c.label.casefold().replace(" ", "") for c in analyze(text).concepts}
    korean = name.startswith("ko")
    false_statements = [
        (q.source, _statement(q))
        for q in _quiz(text, 10, QuestionType.TRUE_FALSE)
        if q.answers == ["false"]
    ]
    selects = _quiz(text, 4, QuestionType.MULTIPLE_SELECT)
    sentences = [s.text for s in analyze(text).sentences]
    for question in selects:
        for choice in set(question.choices) - set(question.answers):
            source = min(sentences, key=lambda s: len(_swapped(s, choice)[0]))
            false_statements.append((source, choice))

    assert len(false_statements) >= 4
    for source, statement in false_statements:
        taken, put = _swapped(source, statement)
        assert taken != put
        if korean:
            assert _particle_fits(put), statement
            taken, put = (_bare(w, concepts) for w in (taken, put))
        assert taken.casefold().replace(" ", "") in concepts, (taken, statement)
        assert put.casefold().replace(" ", "") in concepts, (put, statement)
        assert taken.isascii() == put.isascii(), statement
        if not korean:
            assert _plural(taken) == _plural(put), statement  # same number
            at_start = statement.startswith(put)
            if not at_start and not source.startswith(taken):
                assert taken[:1].isupper() == put[:1].isupper(), statement  # name for name


def _plural(term: str) -> bool:
    return term.endswith("s") and not term.endswith(("ss", "us", "is"))


def _bare(word: str, concepts: set[str]) -> str:
    """The Korean word less the particle after it (세종은 -> 세종), as far as a concept ends."""
    for end in range(len(word), 0, -1):
        if word[:end].casefold().replace(" ", "") in concepts:
            return word[:end]
    return word


# The king, the founder and the admiral of the history sample against the states: a false
# statement never puts one sort where the other stood.
PEOPLE = {"이성계", "세종", "성종", "이순신"}
STATES = {"조선", "고려", "일본"}


def test_a_person_is_not_swapped_for_a_state():
    questions = _quiz(KO_HISTORY, 10, QuestionType.TRUE_FALSE) + _quiz(
        _passage("ko_01_history_joseon.txt"), 10, QuestionType.TRUE_FALSE
    )
    swaps = [_swapped(q.source, _statement(q)) for q in questions if q.answers == ["false"]]

    assert swaps
    for taken, put in swaps:
        sorts = [_sort(taken), _sort(put)]
        assert "person" not in sorts or "state" not in sorts, (taken, put)


def _sort(word: str) -> str:
    if any(word.startswith(p) for p in PEOPLE):
        return "person"
    return "state" if any(word.startswith(s) for s in STATES) else "other"


@pytest.mark.parametrize("name", ["ko_joseon", "en_industrial", "en_photosynthesis"])
def test_distractors_are_other_concepts_and_vary(name):
    text = SAMPLES[name]
    questions = _quiz(text, 8, QuestionType.MULTIPLE_CHOICE)
    concepts = {c.label for c in analyze(text).concepts}

    assert len(questions) >= 5
    offered: Counter[str] = Counter()
    for question in questions:
        [answer] = question.answers
        distractors = [c for c in question.choices if c != answer]
        assert len(distractors) == 3
        assert set(distractors) <= concepts
        assert not any(d in question.source for d in distractors)
        offered.update(distractors)
    # Not the same few words in every question.
    assert max(offered.values()) < len(questions)
    assert len(offered) >= 6


def test_the_correct_choice_takes_every_position_about_equally():
    positions: Counter[int] = Counter()
    for text, count in itertools.product(SAMPLES.values(), (4, 6, 8)):
        for question in _quiz(text, count, QuestionType.MULTIPLE_CHOICE):
            positions[question.choices.index(question.answers[0])] += 1

    total = sum(positions.values())
    assert total >= 60
    assert all(0.18 <= positions[i] / total <= 0.32 for i in range(4)), positions


@pytest.mark.parametrize("name", ["ko_history", "en_cells"])
def test_every_explanation_cites_its_source_sentence(name):
    types = (
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.TRUE_FALSE,
        QuestionType.SHORT_ANSWER,
        QuestionType.MULTIPLE_SELECT,
    )
    questions = _quiz(SAMPLES[name], 8, *types)

    assert {q.type for q in questions} == set(types)
    for question in questions:
        assert question.source in question.explanation
        if question.type in (QuestionType.MULTIPLE_CHOICE, QuestionType.SHORT_ANSWER):
            assert f"'{question.answers[0]}'" in question.explanation
        if question.type is QuestionType.TRUE_FALSE and question.answers == ["false"]:
            # It names the concept the false statement replaced.
            taken, _put = _swapped(question.source, _statement(question))
            assert any(f"'{taken[:n]}'" in question.explanation for n in range(1, len(taken) + 1))
