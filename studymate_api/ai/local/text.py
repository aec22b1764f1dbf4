"""Text analysis for the offline provider, for Korean and English: the language, sentences, and
the terms of each sentence (stems: English words lower-cased, stopwords dropped, suffixes
stripped; Korean words with their particles and common verb endings stripped).

Korean stems are chosen per document: a word's candidates are itself and the word without one
trailing particle, and the candidate shared by the most distinct word forms wins (ties go to the
stripped form). So 광합성은/광합성을/광합성이다 all become 광합성, while 고양이는/고양이가 keep
고양이 rather than losing its final 이 as if it were a particle.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["ko", "en"]

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019-]*[A-Za-z0-9]|[A-Za-z]|[\uac00-\ud7a3]+|[0-9]+")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·‣▪]|\d{1,2}[.)])\s+")
# Sentence ends: . ! ? … before whitespace (and closing quotes), or CJK full stops anywhere.
_CLOSERS = "\"'\u201d\u2019)\\]"
_BOUNDARY = re.compile(rf"[.!?…]+[{_CLOSERS}]*(?=\s)|[。\uff01\uff1f]+[{_CLOSERS}]*")
# Line endings after which a new line starts a new block rather than continuing a sentence.
_TERMINAL = tuple(".!?…。\uff01\uff1f:;\"\u201d'\u2019)")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _longest_first(words: str) -> tuple[str, ...]:
    return tuple(sorted(words.split(), key=len, reverse=True))


_ABBREVIATIONS = _wordset(
    "mr mrs ms dr prof sr jr st vs etc fig no vol eq approx dept inc ltd co e.g i.e cf al"
)

ENGLISH_STOPWORDS = _wordset(
    """a about above after again against all also although am an and any are as at be because
    been before being below between both but by can could did do does doing down during each
    either else even ever every few for from further had has have having he her here hers him
    his how however i if in into is it its itself just less let like made make makes many may
    me might more most much must my neither no nor not now of off often on once one only onto
    or other others our ours out over own per rather same several she should since so some
    such than that the their theirs them then there therefore these they this those though
    through thus to too under until up upon us use used uses using very via was we well were
    what when where whether which while who whom whose why will with within without would yet
    you your yours called known include includes including many among across around whose
    another each first second new two three way ways thing things"""
)

KOREAN_STOPWORDS = _wordset(
    """것 수 등 및 이 그 저 이것 그것 저것 여기 거기 때문 위해 위한 통해 통한 대한 대해 따라
    따른 있다 없다 하다 되다 이다 아니다 같다 그리고 그러나 하지만 또한 또 즉 및 더 가장 매우
    잘 다 다른 모든 각 여러 어떤 이런 그런 우리 자신 경우 때 중 안 후 전 간 내 외 등의 이후 이전
    있는 없는 하는 되는 한다 된다 있으며 있고 있어 하며 하고 하여 해서
    되어 되며 에서 으로"""
)

# Longest first: the first that matches is stripped (see _korean_stems for when it sticks).
_PARTICLES = _longest_first(
    """으로부터 에서부터 입니다 로부터 이라는 이라고 이라면 에서는 에게는 으로는 으로서 으로써
    에서도 까지는 부터는 이지만 이므로 에서의 에게서 이었다 였다 와의 과의 에서 에게 께서 한테
    으로 부터 까지 처럼 보다 마다 조차 라는 라고 이나 이며 이고 이다 이란 에는 에도 로는
    로서 로써 와는 과는 은 는 이 가 을 를 의 에 도 로 와 과 만 란 나"""
)
_PARTICLE_SET = frozenset(_PARTICLES)
# Verb and adjective endings: stripped for matching; a word that had one is no concept.
_PREDICATE_ENDINGS = _longest_first(
    """합니다 됩니다 습니다 했다 한다 하는 하여 하고 하며 하면 해서 했고 된다 되는 되어
    되며 되고 됐다 시킨다 시키는 받는다 받는 있다 있는 없다 없는 한 된 할 될 적인 적으로
    하게 하기 되기 라며 면서"""
)


def language(text: str) -> Language:
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    return "ko" if hangul and hangul * 3 >= latin else "en"


@dataclass
class Sentence:
    text: str
    index: int
    paragraph: int
    first_in_paragraph: bool
    terms: list[str] = field(default_factory=list)


# --- sentences --------------------------------------------------------------------------------


def _blocks(text: str) -> list[tuple[int, str]]:
    """Paragraph-numbered blocks: wrapped lines joined, list items and headings on their own."""
    blocks: list[tuple[int, str]] = []
    chunks = [chunk for chunk in re.split(r"\n\s*\n", text.replace("\r", "")) if chunk.strip()]
    for paragraph, chunk in enumerate(chunks):
        current, previous = "", ""
        for line in (raw.strip() for raw in chunk.split("\n")):
            if not line:
                continue
            if current and not _starts_block(line, previous):
                current = f"{current} {line}"
            else:
                current = _flush(blocks, paragraph, current)
                current = _LIST_MARKER.sub("", line)
            previous = line
        _flush(blocks, paragraph, current)
    return blocks


def _starts_block(line: str, previous: str) -> bool:
    return bool(_LIST_MARKER.match(line)) or previous.endswith(_TERMINAL) or _heading(previous)


def _flush(blocks: list[tuple[int, str]], paragraph: int, current: str) -> str:
    if current.strip():
        blocks.append((paragraph, current.strip()))
    return ""


def _heading(line: str) -> bool:
    return bool(line) and len(line) <= 60 and not line.endswith(_TERMINAL)


def _abbreviation(block: str, end: int) -> bool:
    word = re.search(r"([A-Za-z][A-Za-z.]{0,5})\.$", block[: end + 1])
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    # "Dr.", "e.g.", "U.S." and initials such as "J." do not end a sentence.
    return token in _ABBREVIATIONS or "." in token or (len(token) == 1 and token.isalpha())


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    last_paragraph = -1
    for paragraph, block in _blocks(text):
        start = 0
        for match in _BOUNDARY.finditer(block):
            if match.group().startswith(".") and _abbreviation(block, match.start()):
                continue
            piece = block[start : match.end()].strip()
            start = match.end()
            if piece:
                sentences.append(_sentence(piece, sentences, paragraph, last_paragraph))
                last_paragraph = paragraph
        rest = block[start:].strip()
        if rest:
            sentences.append(_sentence(rest, sentences, paragraph, last_paragraph))
            last_paragraph = paragraph
    return sentences


def _sentence(text: str, sentences: list[Sentence], paragraph: int, last: int) -> Sentence:
    return Sentence(text, len(sentences), paragraph, first_in_paragraph=paragraph != last)


# --- terms ------------------------------------------------------------------------------------

_EN_SUFFIXES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("fulness", "ful"),
    ("iveness", "ive"),
    ("ies", "y"),
    ("sses", "ss"),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("edly", ""),
    ("ed", ""),
)
# Common verbs and adjectives that are never the concept a text is about.
_EN_GENERIC = _wordset(
    """important different various main major large small high low good better best great
    certain specific general common simple able possible called convert produce provide allow
    require take give become consider describe show help create occur happen need want
    include contain mean follow result lead cause process"""
)


def english_stem(word: str) -> str:
    stem = word.lower().replace("\u2019", "'").removesuffix("'s")
    for suffix, replacement in _EN_SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[: -len(suffix)] + replacement
            break
    else:
        if stem.endswith("s") and not stem.endswith(("ss", "us", "is")) and len(stem) > 3:
            stem = stem[:-1]
    # produce / produced / producing all end up as "produc".
    return stem[:-1] if stem.endswith("e") and len(stem) > 4 else stem


_COPULA = ("이다", "였다", "이었다", "입니다", "이며")
_NOUNS_ENDING_IN_DA = frozenset({"바다", "보다", "마다"})


def _predicate_stem(word: str) -> str | None:
    """The stem of a verb or adjective form: a listed ending, or any final 다/요 (Korean puts the
    predicate last) or a connective 며, except a noun with the copula (과정이다, 과정이며)."""
    stem = _strip_ending(word, _PREDICATE_ENDINGS, 2)
    if stem:
        return stem
    if word.endswith(_COPULA) or word in _NOUNS_ENDING_IN_DA or len(word) < 2:
        return None
    if word.endswith(("다", "요")) or (word.endswith("며") and len(word) > 2):
        return word[:-1]
    return None


def _strip_ending(word: str, endings: tuple[str, ...], shortest_stem: int) -> str | None:
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= shortest_stem:
            return word[: -len(ending)]
    return None


def _korean_stems(words: set[str]) -> dict[str, tuple[str, bool, bool]]:
    """Each Korean word form -> (stem, is a predicate form, had a particle)."""
    predicates = {w: _predicate_stem(w) for w in words}
    stripped = {w: _strip_ending(w, _PARTICLES, 1) for w in words if not predicates[w]}
    support = Counter(w for w in words if not predicates[w])
    support.update(stem for stem in stripped.values() if stem)
    result: dict[str, tuple[str, bool, bool]] = {}
    for word in words:
        predicate_stem = predicates[word]
        if predicate_stem:
            result[word] = (predicate_stem, True, False)
            continue
        stem = stripped.get(word)
        # A one-syllable stem (빛, 물) only when other forms of the word confirm it.
        usable = stem and (len(stem) > 1 or support[stem] >= 2)
        if stem and usable and support[stem] >= support[word]:
            result[word] = (stem, False, True)
        else:
            result[word] = (word, False, False)
    return result


@dataclass(frozen=True)
class Token:
    surface: str
    stem: str
    # Could name a concept: not a stopword, verb form or number.
    concept: bool
    # Korean: the word carried no particle, so it can be the first word of a noun phrase.
    bare: bool
    start: int
    end: int


def _english_token(match: re.Match[str], sentence_start: bool) -> Token | None:
    word = match.group()
    lower = word.lower().replace("\u2019", "'")
    if lower in ENGLISH_STOPWORDS or lower in _ABBREVIATIONS or word.isdigit() or len(word) < 2:
        return None
    stem = english_stem(word)
    proper = (word.isupper() and len(word) > 1) or (word[0].isupper() and not sentence_start)
    concept = len(lower) > 2 and stem not in _EN_GENERIC and not lower.endswith("ly")
    surface = word if proper else lower
    return Token(surface, stem, concept, True, match.start(), match.end())


def _korean_token(match: re.Match[str], stems: dict[str, tuple[str, bool, bool]]) -> Token | None:
    word = match.group()
    stem, predicate, had_particle = stems[word]
    # A particle on its own was attached to a Latin word or number: ATP와, 3개를.
    if word in _PARTICLE_SET or word in KOREAN_STOPWORDS or stem in KOREAN_STOPWORDS:
        return None
    return Token(stem, stem, not predicate, not had_particle, match.start(), match.end())


def tokenize(sentences: list[Sentence]) -> list[list[Token]]:
    """The tokens of each sentence; sets `Sentence.terms` (the stems) as it goes."""
    matches = [list(_WORD.finditer(s.text)) for s in sentences]
    korean = {m.group() for ms in matches for m in ms if _HANGUL.match(m.group())}
    stems = _korean_stems(korean)
    result = []
    for sentence, sentence_matches in zip(sentences, matches, strict=True):
        tokens = []
        for position, match in enumerate(sentence_matches):
            if _HANGUL.match(match.group()):
                token = _korean_token(match, stems)
            else:
                token = _english_token(match, sentence_start=position == 0)
            if token:
                tokens.append(token)
        sentence.terms = [token.stem for token in tokens]
        result.append(tokens)
    return result


def adjacent(text: str, left: Token, right: Token) -> bool:
    """The two tokens are neighbouring words of one phrase (only spaces or a hyphen between)."""
    gap = text[left.end : right.start]
    return len(gap) <= 2 and gap.strip(" -") == ""
