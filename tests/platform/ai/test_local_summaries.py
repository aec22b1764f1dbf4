"""Offline summaries keep the text's main points in its order: the brief, detailed and bullet
summaries are sentences of the text in the text's order, a history passage's brief runs from
its beginning to its end, and no kept sentence opens with a reference ("In the second stage",
"This", "이러한", "이처럼") to a sentence that was left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studymate_api.ai import AITask, TextInput, generate
from studymate_api.ai.local.text import split_sentences
from tests.platform.ai.texts import EN, EN_CELLS, KO, KO_HISTORY

pytestmark = pytest.mark.django_db

PASSAGES = Path(__file__).resolve().parents[3] / "bench" / "data" / "passages"
SUMMARIES = [AITask.SUMMARY_BRIEF, AITask.SUMMARY_DETAILED, AITask.SUMMARY_BULLETS]


def _passage(name: str) -> str:
    return (PASSAGES / name).read_text(encoding="utf-8").split("\n---\n", 1)[1].strip()


SAMPLES = {
    "ko_photosynthesis": KO,
    "en_photosynthesis": EN,
    "ko_history": KO_HISTORY,
    "en_cells": EN_CELLS,
    # Passages with sentences that open with "In the second stage", "This", "Later", "이러한"
    # and "이후", and two history passages.
    "en_01": _passage("en_01_biology_photosynthesis.txt"),
    "en_02": _passage("en_02_history_industrial.txt"),
    "en_04": _passage("en_04_chemistry_periodic.txt"),
    "ko_01": _passage("ko_01_history_joseon.txt"),
    "ko_05": _passage("ko_05_geography_climate.txt"),
}

# The test's own list of openers that point back at the sentence before.
_REFERENCE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|however|also|then|finally|thus|later"
    r"|therefore|in the (?:second|third|next|final|last)|the (?:second|third|latter|former)"
    r"|as a result|[이그]\s|이러한|이런|그러한|그런|이후|이때|이처럼|이렇게|이것|이들|이곳"
    r"|그것|또한|그러나|하지만|따라서|그래서|그러므로|결국|반면|한편)",
    re.IGNORECASE,
)


def _kept(source: str, summary: str) -> list[int]:
    """Indices of the source's sentences that the summary keeps, in the summary's order."""
    sentences = [s.text for s in split_sentences(source)]
    pieces = [s.text for s in split_sentences(summary.replace("\n- ", "\n\n").removeprefix("- "))]
    return [sentences.index(piece) for piece in pieces]


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("task", SUMMARIES)
def test_no_kept_sentence_refers_to_one_left_out(name, task):
    source = SAMPLES[name]
    sentences = [s.text for s in split_sentences(source)]

    kept = _kept(source, generate(task, TextInput(source)).text)

    assert kept == sorted(kept)  # the text's order
    assert len(kept) < len(sentences)
    for index in kept:
        if index and _REFERENCE.match(sentences[index]):
            assert index - 1 in kept, sentences[index]


def test_a_summary_keeps_the_sentence_a_reference_needs():
    """The second stage of photosynthesis is worth a detailed summary; it comes with the first."""
    source = SAMPLES["en_01"]
    sentences = [s.text for s in split_sentences(source)]
    second = next(i for i, s in enumerate(sentences) if s.startswith("In the second stage"))

    kept = _kept(source, generate(AITask.SUMMARY_DETAILED, TextInput(source)).text)

    assert second in kept
    assert second - 1 in kept


@pytest.mark.parametrize("name", ["ko_01", "ko_history", "en_02"])
def test_a_history_brief_runs_from_the_beginning_to_the_end(name):
    source = SAMPLES[name]
    count = len(split_sentences(source))

    kept = _kept(source, generate(AITask.SUMMARY_BRIEF, TextInput(source)).text)

    assert kept[0] == 0
    assert kept[-1] >= count - count // 3
