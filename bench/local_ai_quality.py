"""How good the offline provider's key concepts and quiz questions are, on twenty textbook-style
passages with gold key concepts (no database, no gateway).

    .venv/bin/python bench/local_ai_quality.py [--verbose]

The passages and their gold concepts are in bench/data/passages/ (see its README: original text
released under the project's license; files 01-05 of each language are the `dev` half, 06-10 the
`held-out` half, printed separately). Each passage goes through `LocalProvider.complete`, the
call the gateway makes, for KEY_CONCEPTS, the three summaries and twice for QUIZ_QUESTIONS: 10
questions of the four kinds with a single answer or a fixed choice set, and 10 true/false
questions (where balance and alternation show). Printed per language and half:

- concept precision and recall against the gold concepts, under MATCH_RULE below;
- the share of junk among the extracted concepts (JUNK_RULE), each junk item listed;
- quiz checks: particle (josa) agreement wherever a choice or a swapped-in term sits before a
  particle, substitution errors in false statements (SUBSTITUTION_RULE), blanks on gold
  concepts, true/false balance and strict alternation, the position of the correct choice
  (counts and a chi-square test against uniform);
- summaries (brief, detailed, bullet points): dangling references (DANGLING_RULE) and how many
  gold concepts the brief mentions, and whether it reaches the last third of the passage;
- per-call time (median and slowest) and memory: the peak of Python allocations in one call
  (tracemalloc) and the process RSS before the first call and after the last (the analyzer's
  dictionaries live outside Python's allocator, so only RSS shows them).

What could flatter the figures: the gold lists are one annotator's (the author of the passages);
the dev half was looked at while changing the extractor, the held-out half was not; the junk and
substitution checks are rules, not a linguist (their misses are listed with --verbose, so a
reader can judge). Run it on a quiet machine for the timings.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import re
import statistics
import sys
import time
import tracemalloc
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil
import snowballstemmer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django  # noqa: E402

django.setup()  # the provider reads its model name from the settings; no database is touched

from studymate_api.ai.contracts import (  # noqa: E402
    AITask,
    ProviderRequest,
    QuestionType,
    QuizInput,
    TextInput,
)
from studymate_api.ai.providers.local import LocalProvider  # noqa: E402

PASSAGES = ROOT / "bench" / "data" / "passages"
BLANK = "_____"
QUIZ_TYPES = (
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.TRUE_FALSE,
    QuestionType.SHORT_ANSWER,
    QuestionType.MULTIPLE_SELECT,
)
QUIZ_COUNT = 10

MATCH_RULE = """\
match: both sides NFC-normalized and casefolded. English: words split on anything but letters
  and digits, each Snowball-stemmed (cycle = cycles, reactions = reaction). Korean: split into
  space-separated words; a run of adjacent words is compared with its spaces removed (세포 호흡 =
  세포호흡). A gold concept is found if an extracted concept equals it or contains it as a
  whole run of words (extracted 'light-dependent reactions' contains gold 'reactions'; Korean
  '훈민정음 창제' contains '훈민정음', but '국가가' does not contain '국가': a particle glued to
  a word is not a separate word). An extracted concept is correct if it contains a gold concept."""

JUNK_RULE = """\
junk (judged only for extracted concepts that contain no gold concept): English: a stopword, a
  word ending in -ly, -ed or -ing, a bare adjective (a colour or an -ic/-ical/-ous/-ful/-less/
  -able/-ible/-ive word alone), a word the passage uses only as a verb (after 'to', a modal or
  a pronoun, never after an article or 'of'), or a phrase starting with a number ('six
  molecules'). Korean: a
  word that ends with a particle (은 는 이 가 을 를 의 에 에서 로 으로 와 과 도 만 까지 부터
  처럼 보다 ...) after a stem that the passage also uses on its own or with another particle; a
  verb or adjective form (ending in 다 고 며 면 서 지만 는데 같은 있는 없는 하는 되는 한 된 할
  될 적인 ...); a counter or unit (년 월 일 세기 개 명 번 차례 가지 ...), alone or after a
  number; a verb stem cut from its ending (다스리, when the passage has only 다스리는/다스리고);
  or a function word (것 수 때 동안 이후 때까지 그리고 ...)."""

SUBSTITUTION_RULE = """\
substitution: in a false statement (true/false, or a wrong choice of 'choose every true
  statement') the term taken out of the source sentence and the term put in must both be gold
  concepts of the passage (a term of the same kind: what a teacher lists), and in English agree
  in number (both plural or both singular), else it is an error. Korean: a particle that
  changed with the term (세종은 for 이성계는) is no part of it. Counted apart: swaps across
  kind or number, where the two terms differ in English number or in what their form says they
  are (a symbol such as ATP or pH; an English name, capitalised mid-sentence; a word)."""

JOSA_RULE = """\
josa: where a choice, an answer or a swapped-in term stands right before a particle with two
  forms (은/는, 이/가, 을/를, 과/와, 으로/로, 이나/나, 이라/라, 이란/란), the form must fit the
  term's last sound (a final consonant takes 은 이 을 과 으로; ㄹ takes 로; Latin letters and
  digits by their Korean reading: ATP takes 를, DNA 를, 1 일 takes 로). Both forms written
  out before a blank (_____은(는)) agree with any word."""

DANGLING_RULE = """\
dangling reference: a summary sentence (found verbatim in the summary) that opens with a word
  pointing back at the text before it, while the passage's sentence right before it is not in the
  summary. English openers: this, these, that, those, it, its, they, their, such, however, also,
  then, finally, thus, therefore, hence, instead, meanwhile, later, consequently, moreover,
  furthermore, both, 'in/at/by/after/for this|that|then', 'in the second|third|next|final|last',
  'the second|third|next|latter|former|other|same|last', 'as a result', 'in turn'. Korean
  openers: 이/그/저 as words (이 과정, 그 결과), 이러한 이런 그러한 그런 이와 이에 이로 이후 그후
  이때 이처럼 이렇게 이것 이들 이곳 그것 또한 또 그러나 하지만 그리고 따라서 그래서 그러므로 결국
  반면 한편 다음으로 마지막으로 둘째 셋째 즉 뒤이어 (as the first word, particles allowed after it).
  The share is of all kept sentences after a passage's first."""

SUMMARY_RULE = """\
brief coverage: a gold concept counts as mentioned when the brief summary contains it (English:
  its Snowball stems as consecutive words; Korean: its letters in any spacing at the start of a
  word, particles allowed after it); 'reaches the last third': the brief keeps at least one
  sentence of the passage's last third."""


# --- passages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    name: str
    language: str
    subject: str
    split: str
    gold: tuple[tuple[str, ...], ...]  # each concept with its accepted spellings
    text: str


def load_passages() -> list[Passage]:
    passages = []
    for path in sorted(PASSAGES.glob("*.txt")):
        header, text = path.read_text(encoding="utf-8").split("\n---\n", 1)
        fields = dict(line.split(": ", 1) for line in header.splitlines())
        gold = tuple(
            tuple(alt.strip() for alt in item.split("|"))
            for item in fields["gold"].split(";")
            if item.strip()
        )
        language = path.name[:2]
        passages.append(
            Passage(path.stem, language, fields["subject"], fields["split"], gold, text.strip())
        )
    return passages


# --- matching --------------------------------------------------------------------------------

_STEMMER = snowballstemmer.stemmer("english")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _units(text: str) -> list[str]:
    """The comparable units of a term: Snowball stems of English words, Korean words as they
    are spaced (runs of them are compared without spaces, see `contains`)."""
    text = unicodedata.normalize("NFC", text).casefold()
    if _HANGUL.search(text):
        return [w for w in re.split(r"\s+", text.replace("-", " ")) if w]
    words = [w for w in re.split(r"[^\w]+", text) if w]
    return [_STEMMER.stemWord(w) for w in words]


def contains(extracted: str, gold: str) -> bool:
    outer, inner = _units(extracted), _units(gold)
    if not inner:
        return False
    if _HANGUL.search(gold) or _HANGUL.search(extracted):
        target = "".join(inner)
        return any(
            "".join(outer[i:j]) == target
            for i in range(len(outer))
            for j in range(i + 1, len(outer) + 1)
        )
    return any(outer[i : i + len(inner)] == inner for i in range(len(outer) - len(inner) + 1))


def matches_gold(term: str, gold: tuple[tuple[str, ...], ...]) -> int | None:
    """The index of the first gold concept the term contains, or None."""
    for index, spellings in enumerate(gold):
        if any(contains(term, spelling) for spelling in spellings):
            return index
    return None


# --- junk ------------------------------------------------------------------------------------


def _split(words: str) -> list[str]:
    return words.split()


_EN_STOPWORDS = frozenset(
    _split("""
    a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those which who whom what when where why how not no also than then
    there their they them he she we you i his her our your can could may might must shall should
    will would do does did have has had such some any each every all both many much more most
    other another same very only just so too into onto over under about after before during
    between through within without while until upon against among""")
)
_EN_NUMBERS = frozenset(
    _split("""
    one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred thousand million billion several few many first second third""")
)
_EN_COLOURS = frozenset(_split("red green blue yellow white black brown grey gray orange purple"))
_EN_ADJECTIVE_ENDINGS = ("ical", "ous", "ful", "less", "able", "ible", "ive")
_KO_PARTICLES = tuple(
    sorted(
        _split("""은 는 이 가 을 를 의 에 에서 에게 로 으로 와 과 도 만 까지 부터 처럼 보다 이나 나
        라는 이라는 에는 에서는 으로는 로는 에도 과의 와의 이다 이며 라고 이라고"""),
        key=len,
        reverse=True,
    )
)
_KO_PREDICATE_ENDINGS = tuple(
    _split("""다 고 며 면 서 지만 는데 니다 같은 있는 없는 하는 되는 하던 되던 적인 적으로 하게 되게
    하여 되어 해서 돼서 한 된 할 될 뜨리고 시키고 때까지 는 은 을 던 어 아 지""")
)
_KO_COUNTERS = frozenset(
    _split("""년 월 일 세기 개 명 번 차례 가지 배 살 권 장 대 층 곳 시 분 초 km kg m g
    퍼센트 원 달러 회 차 위 등 종""")
)
_KO_FUNCTION_WORDS = frozenset(
    _split("""것 수 때 동안 이후 이전 때까지 그리고 그러나 하지만 또한 또 즉 및 더 가장 매우 잘 다
    모든 각 여러 어떤 이런 그런 이 그 저 우리 자신 경우 중 안 후 전 간 내 외 등 위 아래 사이
    대부분 처음 마지막 가운데 정도 이때 이곳 이처럼 이렇게 오늘날""")
)
_KO_NUMBER = re.compile(r"^[0-9]+|^(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|첫|제[0-9]+)$")


def junk_reason(term: str, language: str, text: str) -> str | None:
    passage_words = words_of(text)
    words = term.split()
    if not words:
        return "empty"
    if language == "en":
        lower = [w.casefold() for w in words]
        if lower[0] in _EN_NUMBERS or lower[0].isdigit():
            return "number phrase"
        if len(lower) == 1:
            word = lower[0]
            if word in _EN_STOPWORDS:
                return "function word"
            if word.endswith(("ly", "ed", "ing")):
                return "adverb or verb form"
            if word in _EN_COLOURS or any(
                word.endswith(ending) and len(word) > len(ending) + 2
                for ending in (*_EN_ADJECTIVE_ENDINGS, "ic")
            ):
                return "bare adjective"
            if _verb_in(word, text):
                return "verb (used only as one in the passage)"
        if lower[-1] in _EN_STOPWORDS:
            return "ends with a function word"
        return None
    last = words[-1]
    if last in _KO_FUNCTION_WORDS or term.replace(" ", "") in _KO_FUNCTION_WORDS:
        return "function word"
    if last in _KO_COUNTERS or (_KO_NUMBER.match(words[0]) and len(words) <= 2):
        return "counter or number"
    if re.fullmatch(r"[0-9]+\D{1,2}", last):
        return "counter or number"
    for ending in _KO_PREDICATE_ENDINGS:
        if last.endswith(ending) and len(last) > len(ending):
            stem = last[: -len(ending)]
            # 바다, 표면, 창고: a noun ending in the same syllable is no verb form; a verb stem
            # is seldom a word of the passage on its own.
            if stem not in passage_words and not _noun_like(last, passage_words):
                return "verb or adjective form"
    if _verb_stem(last, passage_words):
        return "verb stem"
    for particle in _KO_PARTICLES:
        if last.endswith(particle) and len(last) > len(particle):
            stem = last[: -len(particle)]
            if stem in passage_words or any(
                w != last and w.startswith(stem) and w[len(stem) :] in _KO_PARTICLES
                for w in passage_words
            ):
                return "particle attached"
    return None


def _noun_like(word: str, passage_words: set[str]) -> bool:
    """The word also occurs in the passage followed by a particle, as nouns do (바다가)."""
    return any(
        w != word and w.startswith(word) and w[len(word) :] in _KO_PARTICLES for w in passage_words
    )


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[\w\uac00-\ud7a3]+", text))


_EN_VERB_CONTEXT = re.compile(
    r"\b(?:to|will|would|can|could|may|might|must|it|they|he|she|we)\s+(\w+)",
    re.IGNORECASE,
)
_EN_NOUN_CONTEXT = re.compile(r"\b(?:the|a|an|of|its|their|his|her|this|these)\s+(\w+)", re.I)


def _verb_in(word: str, text: str) -> bool:
    """The word follows 'to', a modal or a pronoun somewhere in the passage, and never an
    article or 'of': it is used as a verb there ('it flows', 'to react')."""
    as_verb = {m.group(1).casefold() for m in _EN_VERB_CONTEXT.finditer(text)}
    as_noun = {m.group(1).casefold() for m in _EN_NOUN_CONTEXT.finditer(text)}
    return word in as_verb and word not in as_noun


_KO_VERB_CONTINUATIONS = tuple(_split("고 는 며 면 게 기 지 다 어 아 려 던 ㄴ"))


def _verb_stem(word: str, passage_words: set[str]) -> bool:
    """A verb or adjective stem cut from its ending (다스리 from 다스리는, 다스리고): the passage
    has it only followed by an ending, never alone or with a particle."""
    if word in passage_words:
        return False
    continuations = {w[len(word) :] for w in passage_words if w.startswith(word) and w != word}
    # 는, 은, 을 and 나 end verb forms as well as nouns: no evidence of a noun.
    if not continuations or any(
        c in _KO_PARTICLES and c not in ("는", "은", "을", "나") for c in continuations
    ):
        return False
    return any(c.startswith(_KO_VERB_CONTINUATIONS) for c in continuations)


# --- josa ------------------------------------------------------------------------------------

# (form after a final consonant, form after a vowel); with 로, a final ㄹ takes the vowel form.
_JOSA_PAIRS = (
    ("이라고", "라고"),
    ("이란", "란"),
    ("이라", "라"),
    ("이나", "나"),
    ("으로", "로"),
    ("은", "는"),
    ("을", "를"),
    ("과", "와"),
    ("이", "가"),
)
# How a final Latin letter or digit is read in Korean: its final sound.
_LATIN_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def final_sound(word: str) -> str | None:
    """'' for a vowel, the final consonant otherwise; None when it cannot be told."""
    word = word.rstrip(" )]'\"\u201d\u2019")
    if not word:
        return None
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3":
        return _FINALS[(ord(last) - 0xAC00) % 28].strip()
    if last.isdigit():
        return _DIGIT_FINAL.get(last, "")
    if last.isascii() and last.isalpha():
        return _LATIN_FINAL.get(last.lower(), "")
    return None


def josa_ok(word: str, following: str) -> bool | None:
    """Whether the particle at the start of `following` fits `word`; None when no two-form
    particle follows (or the copula 이다/이며 does, which also follows vowels)."""
    if re.match(r"이(다|며|고|었|므로|지만|나\s)", following):
        return None
    # Both forms written out, as tests do before a blank: 은(는), 이(가), 으로(로).
    if any(following.startswith(f"{c}({v})") for c, v in _JOSA_PAIRS):
        return True
    for consonant_form, vowel_form in _JOSA_PAIRS:
        for form, after_consonant in ((consonant_form, True), (vowel_form, False)):
            if not following.startswith(form):
                continue
            rest = following[len(form) :]
            if rest[:1] and _HANGUL.match(rest[:1]) and form in ("이", "가", "은", "나", "라"):
                return None  # part of a longer word, not a particle: 이미, 가장, 나라
            sound = final_sound(word)
            if sound is None:
                return None
            if consonant_form == "으로":
                return after_consonant == (sound not in ("", "ㄹ"))
            return after_consonant == (sound != "")
    return None


# --- summary checks --------------------------------------------------------------------------

_EN_REFERENCE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|however|also|then|finally|thus|therefore"
    r"|hence|instead|meanwhile|later|consequently|moreover|furthermore|both"
    r"|(?:in|at|by|after|for)\s+(?:this|that|then)"
    r"|in\s+the\s+(?:second|third|next|final|last)"
    r"|the\s+(?:second|third|next|latter|former|other|same|last)"
    r"|as\s+a\s+result|in\s+turn)\b",
    re.IGNORECASE,
)
_KO_REFERENCE = re.compile(
    r"^(?:[이그저]\s|이러한|이런|그러한|그런|이와|이에|이로|이후|그후|이때|이처럼|이렇게|이것|이들"
    r"|이곳|그것|또한|또\s|그러나|하지만|그리고|따라서|그래서|그러므로|결국|반면|한편|다음으로"
    r"|마지막으로|둘째|셋째|즉\s|뒤이어)"
)


@dataclass
class SummaryStats:
    kept: int = 0
    dangling: list[str] = field(default_factory=list)
    briefs: int = 0
    briefs_reaching_end: int = 0
    gold: int = 0
    gold_in_brief: int = 0
    brief_misses: list[str] = field(default_factory=list)


def passage_sentences(text: str) -> list[str]:
    return [
        s.strip()
        for line in text.split("\n")
        for s in re.split(r"(?<=[.!?])\s+", line)
        if s.strip()
    ]


def opens_with_reference(sentence: str, language: str) -> bool:
    pattern = _KO_REFERENCE if language == "ko" else _EN_REFERENCE
    return bool(pattern.match(sentence.strip("\"' \u201c\u2018")))


def mentions(text: str, gold: str) -> bool:
    if _HANGUL.search(gold):
        letters = r"\s?".join(re.escape(c) for c in gold.replace(" ", ""))
        return re.search(rf"(?<![\uac00-\ud7a3\w]){letters}", text, re.IGNORECASE) is not None
    words, inner = _units(text), _units(gold)
    return any(words[i : i + len(inner)] == inner for i in range(len(words) - len(inner) + 1))


def check_summary(stats: SummaryStats, passage: Passage, summary: str, brief: bool) -> None:
    flat = " ".join(summary.split())
    sentences = passage_sentences(passage.text)
    kept = [" ".join(s.split()) in flat for s in sentences]
    for index, sentence in enumerate(sentences):
        if not kept[index] or index == 0:
            continue
        stats.kept += 1
        if not kept[index - 1] and opens_with_reference(sentence, passage.language):
            stats.dangling.append(f"{passage.name}: {sentence[:70]}")
    if brief:
        stats.briefs += 1
        last_third = len(sentences) - len(sentences) // 3
        stats.briefs_reaching_end += any(kept[last_third:])
        for spellings in passage.gold:
            stats.gold += 1
            if any(mentions(summary, s) for s in spellings):
                stats.gold_in_brief += 1
            else:
                stats.brief_misses.append(f"{passage.name}: {spellings[0]}")


# --- quiz checks -----------------------------------------------------------------------------


@dataclass
class QuizStats:
    quizzes: int = 0
    failures: list[str] = field(default_factory=list)
    questions: int = 0
    josa_checked: int = 0
    josa_errors: list[str] = field(default_factory=list)
    swaps: int = 0
    swap_errors: list[str] = field(default_factory=list)
    swaps_across: int = 0
    blanks: int = 0
    blanks_on_gold: int = 0
    blank_misses: list[str] = field(default_factory=list)
    true_false: Counter[str] = field(default_factory=Counter)
    alternating_quizzes: int = 0
    tf_quizzes: int = 0
    positions: Counter[int] = field(default_factory=Counter)
    tf_runs: list[int] = field(default_factory=list)
    distractors: int = 0
    distractors_gold: int = 0
    mc_questions: int = 0
    top_distractor_uses: int = 0
    explanations: int = 0
    explanations_citing: int = 0


def _swap_in(source: str, statement: str, topics: list[str]) -> tuple[str, str] | None:
    """(term taken out, term put in) where `statement` differs from `source`."""
    if source == statement:
        return None
    prefix = 0
    while prefix < min(len(source), len(statement)) and source[prefix] == statement[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(source), len(statement)) - prefix
        and source[-1 - suffix] == statement[-1 - suffix]
    ):
        suffix += 1
    for topic in topics:
        for occurrence in re.finditer(re.escape(topic), source, flags=re.IGNORECASE):
            if occurrence.start() <= prefix and occurrence.end() >= len(source) - suffix:
                delta = len(statement) - len(source)
                return occurrence.group(), statement[occurrence.start() : occurrence.end() + delta]
    # Widen to whole words on both sides.
    start = prefix
    while start > 0 and not source[start - 1].isspace():
        start -= 1
    end_source = len(source) - suffix
    while end_source < len(source) and not source[end_source].isspace():
        end_source += 1
    end_statement = end_source + len(statement) - len(source)
    return source[start:end_source], statement[start:end_statement]


def _plural(term: str) -> bool:
    last = term.split()[-1].casefold() if term.split() else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def check_swap(
    stats: QuizStats, passage: Passage, source: str, statement: str, topics: list[str]
) -> None:
    swap = _swap_in(source, statement, topics)
    if swap is None:
        return
    removed, inserted = swap
    stats.swaps += 1
    problems = []
    if not _gold_term(removed, passage):
        problems.append(f"took out non-concept {removed!r}")
    if not _gold_term(inserted, passage):
        problems.append(f"put in non-concept {inserted!r}")
    across = []
    if passage.language == "en" and _plural(removed) != _plural(inserted):
        across.append("number disagrees")
    if _form_kind(removed, source) != _form_kind(inserted, statement):
        across.append("kind differs")
    stats.swaps_across += bool(across)
    problems += across
    if problems:
        stats.swap_errors.append(f"{passage.name}: {'; '.join(problems)}: {statement[:90]}")
    if passage.language == "ko":
        position = statement.find(inserted)
        if position >= 0:
            check_josa(stats, passage, inserted, statement[position + len(inserted) :])


def _form_kind(term: str, text: str) -> str:
    """What the form of a term says it is: a symbol (ATP, pH, NADPH: Latin letters with a
    capital after the first), an English name (capitalised though not opening the sentence),
    or a word."""
    core = re.sub(r"[\uac00-\ud7a3]+$", "", term) or term  # less a Korean particle after ATP
    if core.isascii() and re.fullmatch(r"[A-Za-z0-9]+", core) and re.search(r"[A-Z]", core[1:]):
        return "symbol"
    capitalised = all(w[:1].isupper() for w in term.split())
    if capitalised and not _HANGUL.search(term) and not text.startswith(term):
        return "name"
    return "word"


def _gold_term(term: str, passage: Passage) -> bool:
    """A gold concept, or (Korean) one with the particle after it: where a swap rewrote the
    particle to fit (세종은 for 이성계는), the differing span takes the particle in too."""
    if matches_gold(term, passage.gold) is not None:
        return True
    if passage.language != "ko":
        return False
    # 으 and 이 begin the consonant forms 으로, 이라, 이나: the span may end inside one.
    for particle in (*_KO_PARTICLES, "으"):
        if term.endswith(particle) and len(term) > len(particle):
            return matches_gold(term[: -len(particle)], passage.gold) is not None
    return False


def check_josa(stats: QuizStats, passage: Passage, word: str, following: str) -> None:
    verdict = josa_ok(word, following)
    if verdict is None:
        return
    stats.josa_checked += 1
    if not verdict:
        stats.josa_errors.append(f"{passage.name}: {word}{following[:4]}")


def check_quiz(stats: QuizStats, passage: Passage, questions: list[dict[str, Any]]) -> None:
    sentences = re.split(r"(?<=[.!?])\s+", passage.text.replace("\n", " "))
    answers_tf: list[str] = []
    offered: Counter[str] = Counter()
    for question in questions:
        stats.questions += 1
        kind, text = question["type"], question["question"]
        stats.explanations += 1
        source = " ".join(question.get("source", "").split())
        stats.explanations_citing += bool(source) and source in " ".join(
            question.get("explanation", "").split()
        )
        if kind in ("multiple_choice", "short_answer"):
            stats.blanks += 1
            answer = question["answers"][0]
            if matches_gold(answer, passage.gold) is not None:
                stats.blanks_on_gold += 1
            else:
                stats.blank_misses.append(f"{passage.name}: {answer}")
            following = text.split(BLANK, 1)[1] if BLANK in text else ""
            if passage.language == "ko":
                for choice in question["choices"] or [answer]:
                    check_josa(stats, passage, choice, following)
            if kind == "multiple_choice":
                stats.positions[question["choices"].index(answer)] += 1
                stats.mc_questions += 1
                for choice in question["choices"]:
                    if choice != answer:
                        offered[choice.casefold()] += 1
                        stats.distractors += 1
                        stats.distractors_gold += matches_gold(choice, passage.gold) is not None
        elif kind == "true_false":
            verdict = question["answers"][0]
            answers_tf.append(verdict)
            stats.true_false[verdict] += 1
            if verdict == "false":
                statement = _statement(text, question["source"])
                check_swap(stats, passage, question["source"], statement, question["topics"])
        elif kind == "multiple_select":
            for choice in question["choices"]:
                if choice in question["answers"]:
                    continue
                source = max(sentences, key=functools.partial(_shared_ends, choice))
                check_swap(stats, passage, source, choice, question["topics"])
    if offered:
        stats.top_distractor_uses += offered.most_common(1)[0][1]
    if answers_tf:
        stats.tf_runs.append(max(len(list(run)) for _, run in itertools.groupby(answers_tf)))
    if len(answers_tf) >= 3:
        stats.tf_quizzes += 1
        if all(a != b for a, b in itertools.pairwise(answers_tf)):
            stats.alternating_quizzes += 1


def _statement(question: str, source: str) -> str:
    """The statement of a true/false question: its last line, less an English lead-in."""
    line = question.split("\n")[-1]
    return re.sub(r"^True or false\?\s*", "", line)


def _shared_ends(a: str, b: str) -> int:
    prefix = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)
    suffix = next((i for i, (x, y) in enumerate(zip(a[::-1], b[::-1], strict=False)) if x != y), 0)
    return prefix + suffix


def chi_square_uniform(counts: list[int]) -> tuple[float, float]:
    """The statistic and its p-value for 4 positions (3 degrees of freedom, closed form)."""
    total = sum(counts)
    if not total:
        return 0.0, 1.0
    expected = total / len(counts)
    x = sum((c - expected) ** 2 / expected for c in counts)
    # Survival function of chi-square with 3 degrees of freedom.
    p = math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
    return x, p


# --- the run ---------------------------------------------------------------------------------


@dataclass
class ConceptStats:
    extracted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0
    junk: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)


@dataclass
class Timing:
    walls: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)


def timed(provider: LocalProvider, request: ProviderRequest, timing: Timing) -> str:
    """The answer; its wall time is taken untraced (tracemalloc slows Python code several
    times over), the peak of Python allocations from a second, traced call."""
    started = time.perf_counter()
    text = provider.complete(request).text
    timing.walls.append(time.perf_counter() - started)
    tracemalloc.start()
    provider.complete(request)
    timing.peaks.append(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    return text


def score_concepts(stats: ConceptStats, passage: Passage, concepts: list[str]) -> None:
    stats.extracted += len(concepts)
    stats.gold += len(passage.gold)
    found: set[int] = set()
    for concept in concepts:
        hits = {
            i
            for i, spellings in enumerate(passage.gold)
            if any(contains(concept, s) for s in spellings)
        }
        if hits:
            stats.correct += 1
            found |= hits
            continue
        stats.extras.append(f"{passage.name}: {concept}")
        reason = junk_reason(concept, passage.language, passage.text)
        if reason:
            stats.junk.append(f"{passage.name}: {concept} ({reason})")
    stats.found += len(found)
    stats.misses += [
        f"{passage.name}: {passage.gold[i][0]}" for i in range(len(passage.gold)) if i not in found
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss and extra")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    passages = load_passages()
    provider = LocalProvider()
    process = psutil.Process()
    rss_start = process.memory_info().rss
    groups = sorted({(p.language, p.split) for p in passages}, key=lambda g: (g[0], g[1] != "dev"))
    concept_stats = {g: ConceptStats() for g in groups}
    quiz_stats = {g: QuizStats() for g in groups}
    summary_stats = {g: SummaryStats() for g in groups}
    timings: dict[tuple[str, str], Timing] = {}
    first_calls: dict[str, float] = {}

    for passage in passages:
        group = (passage.language, passage.split)
        concepts_request = ProviderRequest(
            AITask.KEY_CONCEPTS, system="", messages=(), parts=TextInput(passage.text), max_tokens=0
        )
        key = (passage.language, "key_concepts")
        if passage.language not in first_calls:
            # The first call of a language pays imports and any analyzer load: shown apart.
            started = time.perf_counter()
            provider.complete(concepts_request)
            first_calls[passage.language] = time.perf_counter() - started
        timing = timings.setdefault(key, Timing())
        text = timed(provider, concepts_request, timing)
        concepts = [line for line in text.split("\n") if line.strip()]
        score_concepts(concept_stats[group], passage, concepts)

        timing = timings.setdefault((passage.language, "summary_brief"), Timing())
        for task in (AITask.SUMMARY_BRIEF, AITask.SUMMARY_DETAILED, AITask.SUMMARY_BULLETS):
            summary_request = ProviderRequest(
                task, system="", messages=(), parts=TextInput(passage.text), max_tokens=0
            )
            brief = task == AITask.SUMMARY_BRIEF
            summary = (
                timed(provider, summary_request, timing)
                if brief
                else provider.complete(summary_request).text
            )
            check_summary(summary_stats[group], passage, summary, brief)

        timing = timings.setdefault((passage.language, "quiz_questions"), Timing())
        stats = quiz_stats[group]
        for types in (QUIZ_TYPES, (QuestionType.TRUE_FALSE,)):
            quiz_request = ProviderRequest(
                AITask.QUIZ_QUESTIONS,
                system="",
                messages=(),
                parts=QuizInput(passage.text, count=QUIZ_COUNT, types=types),
                max_tokens=0,
            )
            stats.quizzes += 1
            try:
                text = timed(provider, quiz_request, timing)
                check_quiz(stats, passage, json.loads(text)["questions"])
            except Exception as error:  # a failure is a figure here, not a crash
                stats.failures.append(f"{passage.name}: {type(error).__name__}: {error}")
    rss_end = process.memory_info().rss

    print(
        f"{len(passages)} passages ({', '.join(sorted({p.language for p in passages}))}); "
        f"gold concepts per passage {min(len(p.gold) for p in passages)}-"
        f"{max(len(p.gold) for p in passages)}; key concepts are the provider's KEY_CONCEPTS "
        f"answer; two quizzes of {QUIZ_COUNT} questions per passage ({', '.join(QUIZ_TYPES)}; "
        "true_false only)"
    )
    for rule in (MATCH_RULE, JUNK_RULE, SUBSTITUTION_RULE, JOSA_RULE, DANGLING_RULE, SUMMARY_RULE):
        print(rule)
    print()
    report: dict[str, Any] = {}
    for language in sorted({g[0] for g in groups}):
        halves = [g for g in groups if g[0] == language]
        print(f"== {language} ==")
        header = f"  {'':<34}" + "".join(f"{g[1]:>12}" for g in halves) + f"{'all':>12}"
        print(header)
        merged_c = _merge_concepts([concept_stats[g] for g in halves])
        merged_q = _merge_counts([quiz_stats[g] for g in halves], QuizStats)
        columns = [concept_stats[g] for g in halves] + [merged_c]
        quiz_columns = [quiz_stats[g] for g in halves] + [merged_q]
        merged_s = _merge_counts([summary_stats[g] for g in halves], SummaryStats)
        summary_columns = [summary_stats[g] for g in halves] + [merged_s]
        rows = _rows(columns, quiz_columns) + _summary_rows(summary_columns)
        for label, values in rows:
            print(f"  {label:<34}" + "".join(f"{v:>12}" for v in values))
        report[language] = {label: values[-1] for label, values in rows}
        for kind in ("key_concepts", "summary_brief", "quiz_questions"):
            timing = timings[(language, kind)]
            print(
                f"  {kind + ' per call':<34}median {statistics.median(timing.walls) * 1000:.1f} ms,"
                f" slowest {max(timing.walls) * 1000:.1f} ms, python peak "
                f"{max(timing.peaks) / 1e6:.1f} MB"
            )
            report[language][f"{kind} median ms"] = round(statistics.median(timing.walls) * 1000, 1)
        print(f"  {'first call (imports, analyzer)':<34}{first_calls[language] * 1000:.0f} ms")
        _details(merged_c, merged_q, args.verbose)
        _summary_details(merged_s, args.verbose)
        print()
    print(
        f"process RSS: {rss_start / 1e6:.0f} MB before the first call, "
        f"{rss_end / 1e6:.0f} MB after the last"
    )
    if args.json:
        report["rss_mb"] = {"before": rss_start // 10**6, "after": rss_end // 10**6}
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


def _merge_concepts(parts: list[ConceptStats]) -> ConceptStats:
    merged = ConceptStats()
    for part in parts:
        for name in ("extracted", "correct", "gold", "found"):
            setattr(merged, name, getattr(merged, name) + getattr(part, name))
        merged.junk += part.junk
        merged.misses += part.misses
        merged.extras += part.extras
    return merged


_Stats = TypeVar("_Stats", QuizStats, SummaryStats)


def _merge_counts(parts: list[_Stats], kind: type[_Stats]) -> _Stats:
    merged = kind()
    for part in parts:
        for name, value in vars(part).items():
            current = getattr(merged, name)
            setattr(merged, name, current + value)
    return merged


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def _rows(concepts: list[ConceptStats], quizzes: list[QuizStats]) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = [
        ("concepts extracted", [str(c.extracted) for c in concepts]),
        ("concept precision", [_share(c.correct, c.extracted) for c in concepts]),
        ("concept recall", [_share(c.found, c.gold) for c in concepts]),
        ("junk share", [_share(len(c.junk), c.extracted) for c in concepts]),
        ("quizzes failed", [f"{len(q.failures)}/{q.quizzes}" for q in quizzes]),
        ("questions", [str(q.questions) for q in quizzes]),
        ("blanks on gold concepts", [_share(q.blanks_on_gold, q.blanks) for q in quizzes]),
        ("josa errors / checked", [f"{len(q.josa_errors)}/{q.josa_checked}" for q in quizzes]),
        ("substitution errors / swaps", [f"{len(q.swap_errors)}/{q.swaps}" for q in quizzes]),
        ("  of them across kind or number", [f"{q.swaps_across}/{q.swaps}" for q in quizzes]),
        (
            "true/false: share true",
            [_share(q.true_false["true"], sum(q.true_false.values())) for q in quizzes],
        ),
        (
            "true/false strictly alternating",
            [f"{q.alternating_quizzes}/{q.tf_quizzes}" for q in quizzes],
        ),
    ]
    positions = []
    p_values = []
    for q in quizzes:
        counts = [q.positions.get(i, 0) for i in range(4)]
        _statistic, p = chi_square_uniform(counts)
        positions.append("/".join(map(str, counts)))
        p_values.append(f"{p:.2f}")
    rows.append(("answer position counts 1/2/3/4", positions))
    rows.append(("position chi-square p (uniform)", p_values))
    rows += [
        ("true/false longest run", [str(max(q.tf_runs, default=0)) for q in quizzes]),
        ("distractors that are gold", [_share(q.distractors_gold, q.distractors) for q in quizzes]),
        (
            "top distractor's share of MC",
            [_share(q.top_distractor_uses, q.mc_questions) for q in quizzes],
        ),
        (
            "explanations citing the source",
            [_share(q.explanations_citing, q.explanations) for q in quizzes],
        ),
    ]
    return rows


def _summary_rows(summaries: list[SummaryStats]) -> list[tuple[str, list[str]]]:
    return [
        ("summary dangling / kept", [f"{len(s.dangling)}/{s.kept}" for s in summaries]),
        ("brief: gold concepts mentioned", [_share(s.gold_in_brief, s.gold) for s in summaries]),
        (
            "brief: reaches the last third",
            [f"{s.briefs_reaching_end}/{s.briefs}" for s in summaries],
        ),
    ]


def _summary_details(summaries: SummaryStats, verbose: bool) -> None:
    if summaries.dangling:
        print("  dangling references: " + " | ".join(summaries.dangling))
    if verbose and summaries.brief_misses:
        print("  gold concepts the brief misses: " + " | ".join(summaries.brief_misses))


def _details(concepts: ConceptStats, quizzes: QuizStats, verbose: bool) -> None:
    limit = None if verbose else 12
    sections = [
        ("junk", concepts.junk),
        ("quiz failures", quizzes.failures),
        ("josa errors", quizzes.josa_errors),
        ("substitution errors", quizzes.swap_errors),
    ]
    if verbose:
        sections += [
            ("gold concepts missed", concepts.misses),
            ("extracted, not gold", concepts.extras),
            ("blanks not on gold concepts", quizzes.blank_misses),
        ]
    for title, items in sections:
        if items:
            shown = items[:limit]
            more = (
                f" (+{len(items) - len(shown)} more, --verbose)" if len(items) > len(shown) else ""
            )
            print(f"  {title}: " + " | ".join(shown) + more)


if __name__ == "__main__":
    main()
