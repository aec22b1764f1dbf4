"""Text analysis for the offline provider, for Korean and English: the language, sentences, and
the tokens of each sentence with their stems (the terms that sentence similarity and key
concepts are computed from).

Korean words are analysed into morphemes by Kiwi (`morphology`): nouns, compounds glued to
their suffixes (시트르산, 대륙성) and verb stems are told apart from particles and endings by
the analyzer, not by stripping endings. English words are stemmed by Snowball (cycle and cycles
are one term), and a word's part in the text (noun, modifier, verb) is told from its form and
the words it follows, since no English tagger is installed.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import snowballstemmer

from .morphology import Morpheme, morphemes

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

# Common English verbs and adjectives that are never the concept a text is about.
_EN_GENERIC = _wordset(
    """important different various main major large small high low good better best great
    certain specific general common simple able possible called convert produce provide allow
    require take give become consider describe show help create occur happen need want
    include contain mean follow result lead cause process fast slow full free tiny huge whole
    real similar likely typical usual"""
)
# Adjectives: they may begin a concept (chemical energy, green plants) but are none alone.
_EN_ADJECTIVE_ENDINGS = ("ical", "ous", "ful", "less", "ible", "ic", "ular")
_COLOURS = _wordset("red green blue yellow white black brown grey gray orange purple pink")
# A word right after one of these is used as a verb there ("it flows", "to react")...
_EN_BEFORE_VERB = _wordset(
    "to will would can could may might must it they he she we also often which who"
)
# ...and right after one of these as a noun or a modifier ("the flow", "of energy").
_EN_BEFORE_NOUN = _wordset(
    "the a an of its their his her this these those each every some many in on by with for from"
)
# Numbers and ordinals count things; "six molecules" is no concept.
_NUMBER_WORDS = _wordset(
    """one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    sixty seventy eighty ninety hundred thousand million billion dozen half first second third
    fourth fifth sixth seventh eighth ninth tenth eleventh twelfth hundredth"""
)
_EN_BE = _wordset("is are was were be been being")
_EN_DETERMINERS = _wordset("the a an its their his her all each every this these those")

# Snowball stemmers keep the word being stemmed on the instance: one per thread.
_local = threading.local()


@functools.lru_cache(maxsize=65536)
def english_stem(word: str) -> str:
    stemmer = getattr(_local, "english", None)
    if stemmer is None:
        stemmer = _local.english = snowballstemmer.stemmer("english")
    lower = word.lower().replace("\u2019", "'").removesuffix("'s")
    return "-".join(str(stemmer.stemWord(part)) for part in lower.split("-"))


@dataclass(frozen=True)
class Token:
    surface: str
    stem: str
    # Can be part of a concept: a noun, or (English) a word that modifies one.
    concept: bool
    # Can end a concept or be one alone: a noun, not a modifier or a verb.
    noun: bool
    # Korean: the next token continues the same noun phrase (no particle or ending between).
    joins: bool
    proper: bool
    start: int
    end: int


def _english_context(
    texts: list[str], matches: list[list[re.Match[str]]]
) -> tuple[Counter[str], Counter[str]]:
    """How often each English stem follows a verb cue and a noun cue in the whole text (only
    words next to each other count: "cycle, the energy" says nothing about "cycle")."""
    as_verb: Counter[str] = Counter()
    as_noun: Counter[str] = Counter()
    for text, sentence in zip(texts, matches, strict=True):
        for position, match in enumerate(sentence):
            cue = following = ""
            if position and not text[sentence[position - 1].end() : match.start()].strip():
                cue = sentence[position - 1].group().lower()
            if position + 1 < len(sentence):
                after = sentence[position + 1]
                if not text[match.end() : after.start()].strip():
                    following = after.group().lower()
            stem = english_stem(match.group())
            # A word right before an article takes an object: a verb ("capture the energy").
            if (
                cue in _EN_BEFORE_VERB
                or (cue in _EN_BE and match.group().endswith("ing"))
                or following in _EN_DETERMINERS
            ):
                as_verb[stem] += 1
            elif cue in _EN_BEFORE_NOUN:
                as_noun[stem] += 1
    return as_verb, as_noun


def _english_token(
    match: re.Match[str], sentence_start: bool, usage: tuple[Counter[str], Counter[str]]
) -> Token | None:
    word = match.group()
    lower = word.lower().replace("\u2019", "'")
    if lower in ENGLISH_STOPWORDS or lower in _ABBREVIATIONS or word.isdigit() or len(word) < 2:
        return None
    stem = english_stem(word)
    proper = (word.isupper() and len(word) > 1) or (word[0].isupper() and not sentence_start)
    concept = (
        (len(lower) > 2 or word.isupper() or proper)
        and stem not in _EN_GENERIC
        and lower not in _EN_GENERIC
        and not lower.endswith(("ly", "ed", "ward", "wards", "teenth", "tieth"))
        and lower not in _NUMBER_WORDS
    )
    as_verb, as_noun = usage
    adjective = lower in _COLOURS or (len(lower) > 5 and lower.endswith(_EN_ADJECTIVE_ENDINGS))
    verb = as_verb[stem] > as_noun[stem]
    noun = concept and not adjective and not verb
    surface = word if proper else lower
    return Token(
        surface, stem, concept and not verb, noun, True, proper, match.start(), match.end()
    )


# Kiwi's tags (see `morphology.Morpheme`) that start or continue a noun, and that only continue
# one (a suffix: 시트르+산, 전달+계, 대륙+성).
_NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH", "XPN"})
_SUFFIX_TAGS = frozenset({"XSN", "NNG", "NNP"})
# A noun followed by these is a verb or an adjective (창제하다, 과학적이다): no concept there.
_PREDICATE_SUFFIX_TAGS = frozenset({"XSV", "XSA"})
_VERB_TAGS = frozenset({"VV", "VA"})
# Nouns that say when, where or how much rather than what: never a concept.
KOREAN_STOPWORDS = _wordset(
    """것 수 등 때 동안 이후 이전 경우 중 안 속 위 아래 사이 가운데 전 후 뒤 앞 때문 자신 우리
    이것 그것 저것 여기 거기 이곳 그곳 하나 둘 모두 대부분 일부 정도 이상 이하 오늘날 처음 마지막
    다음 번 가지 차례 통해 위해 대해 따라 관련"""
)


def _korean_tokens(text: str, analysed: list[Morpheme]) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(analysed):
        first = analysed[index]
        if first.tag in _VERB_TAGS:
            tokens.append(
                Token(first.form, first.form, False, False, False, False, first.start, first.end)
            )
        # Kiwi sometimes reads the first syllable of a compound as a dependent noun (수/NNB
        # 산화 for 수산화): at the start of a word and glued to a noun, it belongs to it.
        misread = (
            first.tag == "NNB"
            and (first.start == 0 or not text[first.start - 1].isalnum())
            and index + 1 < len(analysed)
            and analysed[index + 1].start == first.end
            and analysed[index + 1].tag in ("NNG", "NNP")
        )
        if first.tag not in _NOUN_TAGS and not misread:
            index += 1
            continue
        end = index + 1
        # Glued noun analysed and suffixes make one word (세포호흡, 뉴클레오타이드); the plural
        # 들 and the adjectival 적 are not part of it.
        while (
            end < len(analysed)
            and analysed[end].start == analysed[end - 1].end
            and analysed[end].tag in _SUFFIX_TAGS
            and analysed[end].form not in ("들", "적")
        ):
            end += 1
        after = analysed[end] if end < len(analysed) else None
        start_char, end_char = first.start, analysed[end - 1].end
        surface = text[start_char:end_char]
        stem = "".join(m.form for m in analysed[index:end])
        glued_after = after is not None and after.start == end_char
        predicate = (
            glued_after
            and after is not None
            and (after.tag in _PREDICATE_SUFFIX_TAGS or after.form == "적")
        )
        latin = all(m.tag == "SL" for m in analysed[index:end])
        concept = (
            not predicate
            and stem not in KOREAN_STOPWORDS
            and analysed[end - 1].tag != "XPN"
            and (not latin or (len(stem) > 1 and stem.lower() not in ENGLISH_STOPWORDS))
        )
        joins = (
            after is not None
            and after.tag in _NOUN_TAGS
            and text[end_char : after.start].strip(" -") == ""
            and after.start - end_char <= 2
        )
        proper = any(m.tag == "NNP" for m in analysed[index:end]) or latin
        tokens.append(
            Token(surface, stem, concept, concept, joins and concept, proper, start_char, end_char)
        )
        index = end
    return tokens


def tokenize(sentences: list[Sentence]) -> list[list[Token]]:
    """The tokens of each sentence; sets `Sentence.terms` (the stems) as it goes."""
    matches = [list(_WORD.finditer(s.text)) for s in sentences]
    korean = [i for i, s in enumerate(sentences) if _HANGUL.search(s.text)]
    analysed = dict(zip(korean, morphemes([sentences[i].text for i in korean]), strict=True))
    english = [i for i in range(len(sentences)) if i not in analysed]
    usage = _english_context([sentences[i].text for i in english], [matches[i] for i in english])
    result = []
    for index, (sentence, sentence_matches) in enumerate(zip(sentences, matches, strict=True)):
        if index in analysed:
            tokens = _korean_tokens(sentence.text, analysed[index])
        else:
            tokens = []
            for position, match in enumerate(sentence_matches):
                token = _english_token(match, position == 0, usage)
                if token:
                    tokens.append(token)
        sentence.terms = [token.stem for token in tokens]
        result.append(tokens)
    return result


def adjacent(text: str, left: Token, right: Token) -> bool:
    """The two tokens are neighbouring words of one phrase (only spaces or a hyphen between)."""
    gap = text[left.end : right.start]
    return len(gap) <= 2 and gap.strip(" -") == ""
