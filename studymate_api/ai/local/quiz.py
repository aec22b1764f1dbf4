"""Offline quiz questions built from the text's most important sentences and key concepts:
cloze questions (a concept blanked out), multiple choice with other concepts of the text as
distractors, true/false statements (false ones have a concept swapped for another), "choose
every true statement", and essay prompts. Every answer is taken from the text, every
explanation cites the sentence it comes from, and the output is the same JSON the model
providers must return.

A learner must not be able to pass by the quiz's shape rather than the material:

- A swapped-in term or a distractor is a concept of the same kind as the one it stands for:
  a name for a name (Kiwi's NNP; capitalised English words), a person for a person, a symbol
  for a symbol (ATP, pH), a term named after someone for another (Calvin cycle), a term for a
  term, in English of the same number; then, softly, the same head (시베리아 기단 for 북태평양
  기단, 가속도 법칙 for 관성 법칙, -tion for -sis), as many words and about as long. A false
  statement swaps a specific key concept (a name, or a word general text seldom uses: not 과정
  or "energy") for a close enough one, looser only where no sentence has such a pair, and the
  particle after it is rewritten to fit it (`josa`), so it reads as grammatical as the true
  ones. A distractor already offered in the quiz is passed over for another of the text's
  concepts while there is one.
- True/false answers are about half true, placed by a random generator seeded by the input:
  the same material and request give the same quiz, and no pattern (alternation, all false)
  answers it; where too few false statements can be made, the surplus true ones are left out.
  "Choose every true statement" has one to three true statements of four.
- The correct choice of multiple choice takes each position equally often: positions are dealt
  from shuffled decks of the four.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..contracts import QuestionType, QuizInput
from .concepts import Concept
from .document import Document
from .josa import agree, both_forms
from .text import Language, Sentence, english_stem

BLANK = "_____"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_MIN_CHARS, _MAX_CHARS = 20, 300
_MIN_TERMS = 3
# Short material ("광합성은 엽록체에서 일어난다. 엽록소는 빛을 흡수한다.") may have no sentence
# that long: then shorter sentences with fewer terms are asked about, rather than none.
_SHORT_MIN_CHARS, _SHORT_MIN_TERMS = 8, 2
_CONCEPT_POOL = 15
_CHOICES = 4
# Zipf frequency from which a word is everyday vocabulary (more than about 30 in a million
# words: 과정, 단계, "energy", "work", "steam"): swapping it makes a statement false by a word
# nobody studies.
_EVERYDAY = 4.5
# A false statement swaps only among the text's key concepts (as many as the key-concepts
# answer lists): further down the ranking, terms are more often incidental words of the text.
_SWAPPED = 8
# How unlike two terms may be (see `_distance`) for one to stand in a false statement for the
# other: a different head and a word more, or a different head and length (stroma for
# photosynthesis), is too far.
_CLOSE_ENOUGH = 1.4
# Where no sentence has such a pair, a looser one (a word more, or everyday words of the same
# head: light energy for chemical energy) keeps true/false balanced and "choose every true
# statement" possible; still of the same kind and number.
_FAR_ENOUGH = 2.0
# English suffixes that say what kind of thing a single word names (only the unambiguous ones:
# -ment and -er end elements and rivers as well as processes and agents).
_EN_SUFFIX_CLASSES = (
    (("tion", "sion", "sis"), "process"),
    (("ist", "ian"), "agent"),
    (("ity", "ness"), "property"),
    (("ogy", "ics"), "field"),
)

_CLASSES = frozenset(name for _, name in _EN_SUFFIX_CLASSES)

_WORDS: dict[Language, dict[str, str]] = {
    "ko": {
        "cloze_choice": "빈칸에 들어갈 알맞은 말을 고르세요.\n{stem}",
        "cloze_write": "빈칸에 들어갈 알맞은 말을 쓰세요.\n{stem}",
        "true_false": "다음 문장이 학습 자료의 내용과 맞으면 참, 틀리면 거짓을 고르세요.\n{stem}",
        "select": "다음 중 학습 자료의 내용과 맞는 것을 모두 고르세요.",
        "essay": "학습 자료를 바탕으로 '{concept}'에 대해 자신의 말로 설명하세요.",
        "source": "학습 자료의 문장: “{source}”",
        "answer": "정답은 '{answer}'입니다. ",
        "true": "참입니다. ",
        "false": "거짓입니다. '{put}'{particle} 아니라 '{taken}'입니다. ",
        "select_false": "틀린 문장에서는 {swaps}. ",
        "swap": "'{taken}' 대신 '{put}'{particle} 들어갔습니다",
        "list": ", ",
    },
    "en": {
        "cloze_choice": "Which term fills the blank?\n{stem}",
        "cloze_write": "Fill in the blank.\n{stem}",
        "true_false": "True or false? {stem}",
        "select": "Which of these statements agree with the material? Choose all that apply.",
        "essay": "Based on the material, explain '{concept}' in your own words.",
        "source": "From the material: “{source}”",
        "answer": "The answer is '{answer}'. ",
        "true": "True. ",
        "false": "False: the material says '{taken}', not '{put}'. ",
        "select_false": "In the false statements, {swaps}. ",
        "swap": "'{put}' stands where the material says '{taken}'",
        "list": "; ",
    },
}

_Kind = Literal["person", "name", "eponym", "symbol", "term"]
# Kiwi tags people, states, places and works alike as NNP. A name the text puts after a title
# or a rank (왕 세종, King John) or before one or before 때 (세종 대왕, 성종 때: "in the reign
# of") is a person's, and a person is swapped only for a person.
_KO_TITLES = "왕|대왕|임금|황제|왕비|장군|학자|과학자|대통령|선생|박사"
_EN_TITLES = r"King|Queen|Emperor|Empress|Sir|Lord|Lady|President|General|Dr\.|Professor"


@dataclass(frozen=True)
class _Term:
    """A key concept as the quiz swaps and offers it."""

    label: str
    rank: int
    kind: _Kind
    plural: bool
    words: int
    head: str
    # A name or a word general text seldom uses: worth a question, safe to swap.
    specific: bool


@dataclass(frozen=True)
class _Slot:
    """A sentence to ask about and the concept in it that is the answer."""

    sentence: Sentence
    concept: _Term


@dataclass(frozen=True)
class _Swap:
    statement: str
    taken: str
    put: str


@dataclass
class _Quiz:
    """What one quiz shares while its questions are built: the terms, the seeded generator,
    the distractors offered so far and the deck of answer positions."""

    terms: list[_Term]
    language: Language
    rng: random.Random
    offered: Counter[str] = field(default_factory=Counter)
    deck: list[int] = field(default_factory=list)
    # Whether false statements take only close stand-ins (`_false_statement`).
    strict: bool = True

    def position(self, choices: int) -> int:
        if not self.deck:
            self.deck = list(range(_CHOICES))
            self.rng.shuffle(self.deck)
        position = self.deck.pop()
        return position if position < choices else self.rng.randrange(choices)


def generate_questions(doc: Document, request: QuizInput) -> dict[str, Any]:
    terms = _terms(doc)
    # Seeded by the input: the same request gets the same quiz; the order is no secret.
    quiz = _Quiz(terms, doc.language, random.Random(_seed(doc.text, request)))  # noqa: S311
    remaining = _slots(doc, terms, request.count * 2)
    kinds = [request.types[i % len(request.types)] for i in range(request.count)]
    true_false = [i for i, kind in enumerate(kinds) if kind == QuestionType.TRUE_FALSE]
    false_count = len(true_false) // 2 + (len(true_false) % 2 * quiz.rng.randrange(2))
    falses = set(quiz.rng.sample(true_false, false_count))
    questions: list[dict[str, Any]] = []
    for number, kind in enumerate(kinds):
        if not remaining:
            break
        built = None
        for strict in (True, False):
            quiz.strict = strict
            built = built or _first_built(kind, remaining, quiz, number in falses)
        quiz.strict = True
        if built is None and number in falses:
            # No sentence has a term with a close enough stand-in: a true statement then.
            built = _first_built(kind, remaining, quiz, False)
        if built is None and QuestionType.SHORT_ANSWER in request.types:
            built = _first_built(QuestionType.SHORT_ANSWER, remaining, quiz, False)
        if built is None:
            continue
        slot, question = built
        remaining.remove(slot)
        question["difficulty"] = str(request.difficulty)
        questions.append(question)
    return {"questions": _balanced(questions)}


def _balanced(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without the last true/false questions of the verdict that outnumbers the other by more
    than one: where the text has too few terms with a stand-in for half the statements to be
    false (or too few sentences left for the true ones), fewer questions (the request's count
    is a maximum) rather than one verdict as a safe guess."""
    verdicts = Counter(q["answers"][0] for q in questions if q["type"] == QuestionType.TRUE_FALSE)
    more = "true" if verdicts["true"] > verdicts["false"] else "false"
    surplus = abs(verdicts["true"] - verdicts["false"]) - 1
    kept: list[dict[str, Any]] = []
    for question in reversed(questions):
        if (
            surplus > 0
            and question["type"] == QuestionType.TRUE_FALSE
            and question["answers"] == [more]
        ):
            surplus -= 1
            continue
        kept.append(question)
    return kept[::-1]


def _first_built(
    kind: QuestionType, remaining: list[_Slot], quiz: _Quiz, false: bool
) -> tuple[_Slot, dict[str, Any]] | None:
    """The best-ranked remaining sentence that makes a question of this kind, and the question."""
    for slot in remaining:
        others = [s for s in remaining if s is not slot]
        question = _BUILDERS[kind](slot, others, quiz, false)
        if question is not None:
            return slot, question
    return None


def _seed(text: str, request: QuizInput) -> int:
    key = f"{text}|{request.count}|{','.join(request.types)}|{request.difficulty}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


# --- terms --------------------------------------------------------------------------------------


def _terms(doc: Document) -> list[_Term]:
    terms: list[_Term] = []
    seen: set[str] = set()
    for concept in doc.concepts:
        if concept.label.casefold() in seen:
            continue
        seen.add(concept.label.casefold())
        terms.append(_term(concept, len(terms), doc.language, doc.text))
        if len(terms) == _CONCEPT_POOL:
            break
    return terms


def _term(concept: Concept, rank: int, language: Language, text: str) -> _Term:
    label = concept.label
    words = label.split()
    kind: _Kind
    if label.isascii() and len(words) == 1 and any(c.isupper() for c in label[1:]):
        kind = "symbol"  # ATP, NADPH, pH, FADH2
    elif language == "ko":
        kind = "symbol" if label.isascii() else ("name" if concept.proper else "term")
    elif all(w[:1].isupper() for w in words):
        kind = "name"
    else:
        # Named after someone (Calvin cycle, Krebs cycle): swapped only for another such term.
        kind = "eponym" if any(w[:1].isupper() for w in words) else "term"
    if kind == "name" and _titled(label, language, text):
        kind = "person"
    return _Term(
        label=label,
        rank=rank,
        kind=kind,
        plural=language == "en" and _plural(label),
        words=len(words),
        head=_head(concept, language),
        specific=kind != "term" or concept.general < _EVERYDAY,
    )


def _titled(label: str, language: Language, text: str) -> bool:
    name = re.escape(label)
    if language == "ko":
        # The title is a word of its own, a particle at most after it (왕조 is no 왕).
        after = rf"(?:{_KO_TITLES}|때)(?:에는|에|은|는|이|가|의|을|를|도|와|과)?(?![\uac00-\ud7a3])"
        pattern = rf"(?:^|[^\uac00-\ud7a3])(?:{_KO_TITLES})\s+{name}|{name}\s*{after}"
    else:
        pattern = rf"\b(?:{_EN_TITLES})\s+{name}\b"
    return re.search(pattern, text) is not None


def _head(concept: Concept, language: Language) -> str:
    """What kind of thing the term names, as far as its form tells: the last word of a phrase
    (법칙 in 관성 법칙, cycle in Calvin cycle); for one Korean word its last syllable, the
    Sino-Korean head (마찰력, 알짜힘; 산성, 염기성); for one English word its suffix class."""
    if language == "ko":
        return concept.stems[-1] if len(concept.stems) > 1 else concept.label[-1:]
    words = concept.label.split()
    if len(words) > 1:
        return english_stem(words[-1])
    lower = words[0].lower() if words else ""
    for endings, name in _EN_SUFFIX_CLASSES:
        if lower.endswith(endings) and len(lower) > 4:
            return name
    return ""


def _plural(term: str) -> bool:
    last = term.rsplit(" ", 1)[-1]
    return last.isascii() and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _distance(a: _Term, b: _Term) -> float:
    """How unlike two terms of one kind look: 0 for the same head, word count and length."""
    length = abs(len(a.label) - len(b.label)) / max(len(a.label), len(b.label))
    return (0.0 if a.head and a.head == b.head else 1.0) + abs(a.words - b.words) + length


def _compatible(a: _Term, b: _Term, sentence: str) -> bool:
    """`b` may stand where `a` stands in the sentence: another concept of the same kind and
    number, not a part of it, not already in the sentence."""
    x, y = a.label.casefold(), b.label.casefold()
    if x == y or x in y or y in x or a.kind != b.kind or a.plural != b.plural:
        return False
    # Kiwi tags a king, a dynasty, a law code and a war alike as NNP: a name of as many
    # syllables (words, in English) at least looks like the same sort of name (세종 for 성종,
    # not 경국대전 for 이성계).
    if a.kind in ("name", "person") and (
        len(a.label) != len(b.label) if _HANGUL.search(a.label) else a.words != b.words
    ):
        return False
    # A process is not swapped for an agent or a property (evaporation for conductor).
    if a.head in _CLASSES and b.head in _CLASSES and a.head != b.head:
        return False
    return not _occurrence(sentence, b.label)


def _stand_ins(term: _Term, quiz: _Quiz, sentence: str) -> list[_Term]:
    """Terms that could stand for `term` in the sentence, closest first; among equally close
    ones the more important, then one not offered yet in this quiz."""
    options = [t for t in quiz.terms if _compatible(term, t, sentence)]
    jitter = {t.label: quiz.rng.random() * 0.2 for t in options}
    return sorted(
        options,
        key=lambda t: (
            _distance(term, t)
            + t.rank / _CONCEPT_POOL
            + quiz.offered[t.label]
            + (0.0 if t.specific else 0.5)
            + jitter[t.label]
        ),
    )


# --- sentences ----------------------------------------------------------------------------------

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


def _slots(doc: Document, terms: list[_Term], limit: int) -> list[_Slot]:
    return _slots_in(doc, terms, limit, _MIN_CHARS, _MIN_TERMS) or _slots_in(
        doc, terms, limit, _SHORT_MIN_CHARS, _SHORT_MIN_TERMS
    )


def _slots_in(
    doc: Document, terms: list[_Term], limit: int, min_chars: int, min_terms: int
) -> list[_Slot]:
    ranked = sorted(range(len(doc.sentences)), key=lambda i: (-doc.scores[i], i))
    slots: list[_Slot] = []
    used: set[str] = set()
    for index in ranked:
        sentence = doc.sentences[index]
        if not min_chars <= len(sentence.text) <= _MAX_CHARS or len(sentence.terms) < min_terms:
            continue
        present = [t for t in terms if _occurrence(sentence.text, t.label)]
        # Not "energy" again once "light energy" was an answer.
        fresh = [t for t in present if not _overlaps(t.label, used)] or present
        if not fresh:
            continue
        # A blank on 과정 or "process" asks for a word, not for what the text teaches.
        concept = min(fresh, key=lambda t: (not t.specific, t.rank))
        used.add(concept.label.casefold())
        slots.append(_Slot(sentence, concept))
        if len(slots) == limit:
            break
    return slots


def _overlaps(concept: str, others: set[str]) -> bool:
    key = concept.casefold()
    return any(key in other or other in key for other in others)


def _swap(text: str, concept: str, replacement: str) -> str:
    match = _occurrence(text, concept)
    if match is None:
        return text
    found = match.group()
    if found[:1].isupper() and replacement[:1].islower():
        replacement = replacement[:1].upper() + replacement[1:]
    before, following = text[: match.start()], text[match.end() :]
    # The particle after the concept must fit what now stands there (세조는, not 세조은)...
    following = both_forms(following) if replacement == BLANK else agree(replacement, following)
    # ...as must an English article before it (an enzyme, a chloroplast).
    if replacement != BLANK:
        before = _article(before, replacement)
    return before + replacement + following


_ARTICLE = re.compile(r"(?<![\w])(an?)(\s+)$", re.IGNORECASE)
# Letters whose English names begin with a vowel sound: "an ATP", "an NADH".
_VOWEL_LETTER_NAMES = "AEFHILMNORSX"


def _article(before: str, word: str) -> str:
    match = _ARTICLE.search(before)
    if match is None:
        return before
    first = word[:1]
    acronym = len(word) > 1 and word[:2].isupper()
    vowel = first in _VOWEL_LETTER_NAMES if acronym else first.lower() in "aeiou"
    article = "an" if vowel else "a"
    if match.group(1)[0].isupper():
        article = article.capitalize()
    return before[: match.start()] + article + match.group(2)


def _false_statement(sentence: Sentence, quiz: _Quiz) -> _Swap | None:
    """The sentence with one of its terms swapped for a close stand-in of the same kind; the
    most important term that has one. Strictly: a specific key concept for another within
    `_CLOSE_ENOUGH`; otherwise any of the pool's concepts within `_FAR_ENOUGH`."""
    swappable = _SWAPPED if quiz.strict else _CONCEPT_POOL
    limit = _CLOSE_ENOUGH if quiz.strict else _FAR_ENOUGH
    for term in quiz.terms[:swappable]:
        if (quiz.strict and not term.specific) or not _occurrence(sentence.text, term.label):
            continue
        for stand_in in _stand_ins(term, quiz, sentence.text):
            if (
                (quiz.strict and not stand_in.specific)
                or stand_in.rank >= swappable
                or _distance(term, stand_in) > limit
            ):
                continue
            statement = _swap(sentence.text, term.label, stand_in.label)
            if statement != sentence.text:
                return _Swap(statement, term.label, stand_in.label)
    return None


# --- questions ----------------------------------------------------------------------------------


def _base(kind: QuestionType, question: str, slot: _Slot, quiz: _Quiz) -> dict[str, Any]:
    source = slot.sentence.text
    return {
        "type": str(kind),
        "question": question,
        "choices": [],
        "answers": [],
        "explanation": _WORDS[quiz.language]["source"].format(source=source),
        "topics": [slot.concept.label],
        "source": source,
    }


def _explain(question: dict[str, Any], lead: str) -> None:
    question["explanation"] = lead + question["explanation"]


def _distractors(slot: _Slot, quiz: _Quiz) -> list[str]:
    """Three other concepts of the text, of the answer's kind first."""
    answer, sentence = slot.concept, slot.sentence.text
    chosen = [t.label for t in _stand_ins(answer, quiz, sentence)][: _CHOICES - 1]
    if len(chosen) < _CHOICES - 1:
        # Too few of its kind: the closest others, so the question is still asked.
        others = [
            t
            for t in quiz.terms
            if t.label not in chosen
            and t.label.casefold() != answer.label.casefold()
            and not _overlaps(t.label, {answer.label.casefold()})
            and not _occurrence(sentence, t.label)
        ]
        others.sort(key=lambda t: (t.plural != answer.plural, _distance(answer, t), t.rank))
        chosen += [t.label for t in others][: _CHOICES - 1 - len(chosen)]
    return chosen


def _multiple_choice(
    slot: _Slot, others: list[_Slot], quiz: _Quiz, false: bool
) -> dict[str, Any] | None:
    distractors = _distractors(slot, quiz)
    if len(distractors) < 2:
        return None
    quiz.offered.update(distractors)
    stem = _swap(slot.sentence.text, slot.concept.label, BLANK)
    words = _WORDS[quiz.language]
    question = _base(
        QuestionType.MULTIPLE_CHOICE, words["cloze_choice"].format(stem=stem), slot, quiz
    )
    choices = list(distractors)
    quiz.rng.shuffle(choices)
    choices.insert(quiz.position(len(choices) + 1), slot.concept.label)
    question["choices"] = choices
    question["answers"] = [slot.concept.label]
    _explain(question, words["answer"].format(answer=slot.concept.label))
    return question


def _short_answer(
    slot: _Slot, others: list[_Slot], quiz: _Quiz, false: bool
) -> dict[str, Any] | None:
    stem = _swap(slot.sentence.text, slot.concept.label, BLANK)
    words = _WORDS[quiz.language]
    question = _base(QuestionType.SHORT_ANSWER, words["cloze_write"].format(stem=stem), slot, quiz)
    question["answers"] = [slot.concept.label]
    _explain(question, words["answer"].format(answer=slot.concept.label))
    return question


def _true_false(
    slot: _Slot, others: list[_Slot], quiz: _Quiz, false: bool
) -> dict[str, Any] | None:
    words = _WORDS[quiz.language]
    swap = _false_statement(slot.sentence, quiz) if false else None
    if false and swap is None:
        return None
    statement = swap.statement if swap else slot.sentence.text
    stem = words["true_false"].format(stem=statement)
    question = _base(QuestionType.TRUE_FALSE, stem, slot, quiz)
    question["answers"] = ["false" if swap else "true"]
    if swap:
        question["topics"] = list(dict.fromkeys([swap.taken, slot.concept.label]))
        particle = agree(swap.put, "이")[:1]
        _explain(question, words["false"].format(put=swap.put, taken=swap.taken, particle=particle))
    else:
        _explain(question, words["true"])
    return question


def _multiple_select(
    slot: _Slot, others: list[_Slot], quiz: _Quiz, false: bool
) -> dict[str, Any] | None:
    """One to three true statements (the slot's sentence first among them) and false ones made
    from other sentences, four in all, in a shuffled order."""
    true_count = quiz.rng.randint(1, _CHOICES - 1)
    true = [slot.sentence.text]
    swaps: list[_Swap] = []
    for other in others:
        if len(true) < true_count:
            true.append(other.sentence.text)
        elif len(swaps) < _CHOICES - true_count:
            swap = _false_statement(other.sentence, quiz)
            if swap is not None:
                swaps.append(swap)
    if not swaps:
        swap = _false_statement(slot.sentence, quiz)
        if swap is None or len(true) < 2:
            return None
        # The slot's own sentence is the false one then; another true one stays.
        true, swaps = true[1:], [swap]
    if len(true) + len(swaps) < 3:
        return None
    words = _WORDS[quiz.language]
    question = _base(QuestionType.MULTIPLE_SELECT, words["select"], slot, quiz)
    choices = [*true, *(s.statement for s in swaps)]
    quiz.rng.shuffle(choices)
    question["choices"] = choices
    question["answers"] = [c for c in choices if c in true]
    question["topics"] = list(dict.fromkeys([slot.concept.label, *(s.taken for s in swaps)]))
    described = words["list"].join(
        dict.fromkeys(
            words["swap"].format(taken=s.taken, put=s.put, particle=agree(s.put, "이")[:1])
            for s in swaps
        )
    )
    _explain(question, words["select_false"].format(swaps=described))
    return question


def _essay(slot: _Slot, others: list[_Slot], quiz: _Quiz, false: bool) -> dict[str, Any] | None:
    question = _base(
        QuestionType.ESSAY,
        _WORDS[quiz.language]["essay"].format(concept=slot.concept.label),
        slot,
        quiz,
    )
    question["answers"] = [slot.sentence.text]
    return question


_Builder = Callable[[_Slot, list[_Slot], _Quiz, bool], dict[str, Any] | None]
_BUILDERS: dict[QuestionType, _Builder] = {
    QuestionType.MULTIPLE_CHOICE: _multiple_choice,
    QuestionType.SHORT_ANSWER: _short_answer,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.MULTIPLE_SELECT: _multiple_select,
    QuestionType.ESSAY: _essay,
}
