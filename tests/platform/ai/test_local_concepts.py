"""The offline provider's key concepts are nouns and noun phrases of the text: Korean through a
morphological analyzer (Kiwi), English through Snowball stems. Never particles, counters, verb
forms, function words, bare adjectives or number phrases; one concept for the forms of one term.
The analyzer is loaded only by the process that analyses Korean text, not by `django.setup()`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studymate_api.ai import (
    AITask,
    ConceptList,
    QuestionType,
    QuizInput,
    QuizQuestionSet,
    TextInput,
    generate,
)
from studymate_api.ai.local import key_concepts
from studymate_api.ai.local.document import analyze
from studymate_api.ai.local.josa import agree
from tests.platform.ai.texts import EN_CELLS, KO_HISTORY

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[3]
# Korean particles and verb or adjective endings that a concept must not end with.
_KOREAN_TAIL = re.compile(r"(은|는|을|를|에서|으로|까지|부터|하고|하며|한다|했다|였다|같은|있는)$")


def _concepts(text: str) -> list[str]:
    return generate(AITask.KEY_CONCEPTS, TextInput(text)).structured(ConceptList).concepts


def test_korean_concepts_are_the_nouns_a_teacher_lists():
    concepts = _concepts(KO_HISTORY)

    assert {"세종", "훈민정음", "경국대전", "임진왜란", "이성계", "조선"} <= set(concepts)
    # What the heuristic stemmer used to list: a counter, verb forms, a postposition.
    assert not {"년", "같은", "때까지", "무너뜨리고", "무너뜨리", "다스리", "세운"} & set(concepts)
    assert not [c for c in concepts if _KOREAN_TAIL.search(c) or re.search(r"\d", c)]


def test_english_concepts_are_nouns_and_noun_phrases():
    concepts = _concepts(EN_CELLS)

    assert {"Krebs cycle", "pyruvate", "ATP", "oxygen"} <= set(concepts)
    lowered = {c.casefold() for c in concepts}
    # Bare adjectives, number phrases, verbs and the plural of a listed concept are not listed.
    assert not {"green", "chemical", "cellular", "six molecules", "splits", "cycles"} & lowered
    assert not any(c.split()[0].casefold() in {"six", "two", "each"} for c in concepts)


def test_forms_of_one_term_are_one_concept():
    korean = key_concepts(
        "세포호흡은 포도당을 분해한다. 세포 호흡의 첫 단계는 해당 과정이다. "
        "세포 호흡에서 만들어진 ATP는 근육 수축에 쓰인다. 세포호흡은 미토콘드리아에서 끝난다.",
        limit=8,
    )
    english = key_concepts(
        "The Calvin cycle fixes carbon. Calvin cycles run in the stroma. "
        "Each Calvin cycle uses ATP, and the stroma holds the enzymes of the cycle.",
        limit=8,
    )

    assert len([c for c in korean if c.replace(" ", "") == "세포호흡"]) == 1
    assert [c for c in english if "calvin" in c.casefold()] == ["Calvin cycle"]


def test_a_korean_cloze_blanks_a_concept_and_never_part_of_a_word():
    request = QuizInput(KO_HISTORY, count=6, types=(QuestionType.SHORT_ANSWER,))

    questions = generate(AITask.QUIZ_QUESTIONS, request).structured(QuizQuestionSet).questions

    assert questions
    concepts = {c.label for c in analyze(KO_HISTORY).concepts}
    for question in questions:
        [answer] = question.answers
        assert answer in concepts
        assert not _KOREAN_TAIL.search(answer)
        after = question.question.split("_____", 1)[1]
        # The blank takes the whole word: a particle or a space follows, not more syllables of
        # a noun (산 blanked inside 산성 would leave "_____성").
        assert re.match(r"(은|는|이|가|을|를|의|에|과|와|도|으로|로|에서|이라|\s|[.,])", after)


_PROBE = """
import json, sys
import django
django.setup()
from contextlib import redirect_stdout
from io import StringIO
from django.core.management import ManagementUtility
with redirect_stdout(StringIO()):
    ManagementUtility(["manage.py", "help"]).execute()
loaded = lambda: sorted(m for m in ("kiwipiepy", "wordfreq") if m in sys.modules)
at_setup = loaded()
from studymate_api.ai.local import key_concepts
from studymate_api.ai.local.document import analyze
from studymate_api.ai.local.josa import agree
key_concepts("The Calvin cycle fixes carbon dioxide in the stroma.", limit=3)
after_english = loaded()
key_concepts("캘빈 회로는 스트로마에서 이산화탄소를 고정한다.", limit=3)
print(json.dumps([at_setup, after_english, loaded()]))
"""


def test_the_analyzer_loads_only_when_korean_text_is_analysed():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studymate_api.settings"}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )

    at_setup, after_english, after_korean = json.loads(result.stdout.splitlines()[-1])
    assert at_setup == []  # django.setup() and `manage.py help` import neither
    assert after_english == ["wordfreq"]
    assert after_korean == ["kiwipiepy", "wordfreq"]


@pytest.mark.parametrize(
    ("word", "following", "expected"),
    [
        ("세조", "은 왕이다", "는 왕이다"),
        ("훈민정음", "는 문자", "은 문자"),
        ("ATP", "을 만든다", "를 만든다"),
        ("DNA", "과 RNA", "와 RNA"),
        ("물", "으로 바뀐다", "로 바뀐다"),
        ("산소", "로부터", "로부터"),
        ("세포막", "로부터", "으로부터"),
        ("세포", "이다.", "이다."),  # the copula follows vowels too
        ("세포", "이미 있다", "이미 있다"),  # 이미 is a word, not the particle 이
    ],
)
def test_a_particle_fits_the_word_put_before_it(word, following, expected):
    assert agree(word, following) == expected


def test_a_korean_blank_shows_both_forms_of_its_particle():
    request = QuizInput(KO_HISTORY, count=6, types=(QuestionType.MULTIPLE_CHOICE,))

    questions = generate(AITask.QUIZ_QUESTIONS, request).structured(QuizQuestionSet).questions

    stems = [q.question.split("_____", 1)[1] for q in questions]
    assert stems
    assert not [s for s in stems if re.match(r"(은|는|을|를|과|와|이|가)(?![\uac00-\ud7a3(])", s)]
    assert any(re.match(r"(은\(는\)|을\(를\)|이\(가\)|과\(와\))", s) for s in stems)
