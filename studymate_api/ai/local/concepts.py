"""Key concepts: the nouns and noun phrases a text is about.

Candidates are nouns and runs of up to three words that make one noun phrase (Korean: no
particle or ending between them, as in 시트르산 회로; English: modifiers before a noun, as in
light-dependent reactions or Calvin cycle); a run never ends on a modifier or a verb, and
particles, endings, counters and function words are no candidates at all (see `text`). Forms of
one term are one candidate: Korean spacing is ignored (세포호흡 = 세포 호흡) and English words
are compared by their Snowball stems (cycle = cycles); the label is the form the text uses most.

A candidate scores by how often it occurs and in how many sentences, whether the text defines
it ("X라고 한다", "called X") or names it in its first sentence, and how rare it is in general
text (`frequency`): 과정 or "process" occur in every text, 미토콘드리아 or "chlorophyll" are
what this one is about. A phrase counts for more than a word, and a word that occurs only
inside a listed phrase is not listed again on its own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .frequency import zipf
from .text import Language, Sentence, Token, adjacent

_MAX_WORDS = 3
# Words more common than this (Zipf) in general text count for less: 3 is about one in a
# million words, where everyday vocabulary thins out.
_COMMON = 3.0
_KO_DEFINED = re.compile(r"^(?:이)?(?:라고|라는|란|라\s*한다|라\s*부른다)")
_KO_TOPIC = re.compile(r"^(?:은|는)\s")
_KO_COPULA = re.compile(r"(?:이다|다)\.?\s*$")
_EN_DEFINED = re.compile(
    r"\b(?:called|known\s+as|named|termed|is\s+called|are\s+called)\s+(?:the\s+|a\s+|an\s+)?$",
    re.IGNORECASE,
)
_EN_IS_A = re.compile(r"^\s*(?:is|are|was|were)\s+(?:the|a|an)\b", re.IGNORECASE)
_EN_ARTICLE = re.compile(r"^\s*(?:(?:the|a|an)\s*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Concept:
    label: str
    stems: tuple[str, ...]
    score: float
    count: int
    first_sentence: int
    # A name (Kiwi's NNP, Latin letters in Korean; a capitalised word mid-sentence in English).
    proper: bool = False
    # How common its rarest word is in general text (Zipf; 0 when not listed at all).
    general: float = 0.0


@dataclass
class _Stats:
    stems: tuple[str, ...]
    count: int = 0
    # Occurrences of a word as part of a longer noun phrase (이온 in 수소 이온).
    inside: int = 0
    defined: bool = False
    proper: bool = False
    all_proper: bool = True
    sentences: set[int] = field(default_factory=set)
    surfaces: Counter[str] = field(default_factory=Counter)


def find_concepts(
    sentences: list[Sentence], tokens: list[list[Token]], language: Language
) -> list[Concept]:
    """Every candidate, best first (ties: earliest in the text, then alphabetical)."""
    found: dict[str, _Stats] = {}
    occurrences = [
        (sentence, run)
        for sentence, sentence_tokens in zip(sentences, tokens, strict=True)
        for run in _runs(sentence, sentence_tokens, language)
    ]
    for sentence, run in occurrences:
        if len(run) > 1:
            _add(found, sentence, run, language)
    heads = Counter(run[-1].stem for _, run in occurrences if len(run) == 1)
    phrases = {key for key, stats in found.items() if _is_phrase(stats, heads)}
    # A word inside a phrase of the text (이온 in 수소 이온) counts for less on its own.
    inside = {
        (sentence.index, id(token))
        for sentence, run in occurrences
        if len(run) > 1 and _key([t.stem for t in run], language) in phrases
        for token in run
    }
    for sentence, run in occurrences:
        if len(run) == 1:
            if (sentence.index, id(run[0])) in inside:
                found.setdefault(_key([run[0].stem], language), _Stats((run[0].stem,))).inside += 1
            else:
                _add(found, sentence, run, language)
    candidates = [
        _concept(stats, language)
        for key, stats in found.items()
        if stats.count and (len(stats.stems) == 1 or key in phrases)
    ]
    candidates.sort(key=lambda c: (-c.score, c.first_sentence, c.label))
    return _without_shadowed(candidates)


def _key(stems: list[str], language: Language) -> str:
    return ("" if language == "ko" else " ").join(stems)


def _add(
    found: dict[str, _Stats], sentence: Sentence, run: list[Token], language: Language
) -> None:
    stats = found.setdefault(
        _key([t.stem for t in run], language), _Stats(tuple(t.stem for t in run))
    )
    stats.count += 1
    stats.sentences.add(sentence.index)
    stats.surfaces[_surface(sentence.text, run)] += 1
    stats.proper = stats.proper or any(t.proper for t in run)
    stats.all_proper = stats.all_proper and all(t.proper for t in run)
    stats.defined = stats.defined or _defined(sentence, run, language)


def _is_phrase(stats: _Stats, heads: Counter[str]) -> bool:
    """A phrase seen once is a chance neighbourhood unless the text defines it, it is a name
    (Industrial Revolution, James Watt) or it names a kind of what the text keeps talking
    about (시베리아 기단 where 기단 recurs, series circuit where circuit does)."""
    recurring_kind = len(stats.stems) == 2 and heads[stats.stems[-1]] >= 3
    return stats.count >= 2 or stats.defined or stats.all_proper or recurring_kind


def _surface(text: str, run: list[Token]) -> str:
    surface = text[run[0].start : run[-1].end]
    # A sentence's capital is no part of the term: "Steam also changed" is steam.
    return surface if run[0].proper else surface[:1].lower() + surface[1:]


def _runs(sentence: Sentence, tokens: list[Token], language: Language) -> list[list[Token]]:
    """Every noun and noun phrase of the sentence: runs of concept tokens ending on a noun."""
    runs = []
    for start, first in enumerate(tokens):
        if not first.concept:
            continue
        run = [first]
        if first.noun:
            runs.append([first])
        for token in tokens[start + 1 : start + _MAX_WORDS]:
            previous = run[-1]
            joined = (
                previous.joins if language == "ko" else adjacent(sentence.text, previous, token)
            )
            if not (joined and token.concept):
                break
            run.append(token)
            if token.noun:
                runs.append(list(run))
    return runs


def _defined(sentence: Sentence, run: list[Token], language: Language) -> bool:
    if language == "ko":
        after = sentence.text[run[-1].end :]
        # "X은 ...이다." opening a sentence defines X, as does "...을 X라고 한다".
        topic = not sentence.text[: run[0].start].strip() and bool(_KO_TOPIC.match(after))
        return bool(_KO_DEFINED.match(after)) or (topic and bool(_KO_COPULA.search(after)))
    before, after = sentence.text[: run[0].start], sentence.text[run[-1].end :]
    return bool(_EN_DEFINED.search(before)) or (
        bool(_EN_ARTICLE.match(before)) and bool(_EN_IS_A.match(after))
    )


def _rarest(stems: tuple[str, ...], surfaces: Counter[str], language: Language) -> float:
    """The Zipf frequency of the term's rarest word in general text."""
    word = surfaces.most_common(1)[0][0]
    if language == "ko":
        frequencies = [zipf(stem, "ko") for stem in stems]
    else:
        frequencies = [zipf(w, "en") for w in re.split(r"[\s-]+", word) if w]
    return min(frequencies, default=0.0)


def _specificity(rarest: float, stems: tuple[str, ...], proper: bool) -> float:
    """1 for a word general text seldom uses, down to about 0.35 for the most common ones; a
    phrase is as specific as its rarest word, and specific as a phrase."""
    common = max(0.0, rarest - _COMMON)
    if proper:
        common /= 2  # names (세종, Britain) are common in general text and still what it is about
    if len(stems) > 1:
        return 1.5 / (1 + 0.5 * common)
    return 1 / (1 + common)


def _concept(stats: _Stats, language: Language) -> Concept:
    first = min(stats.sentences)
    score = (
        stats.count
        + 0.3 * stats.inside
        + 0.5 * len(stats.sentences)
        + (1.0 if first == 0 else 0.0)
        + (2.5 if stats.defined else 0.0)
    )
    rarest = _rarest(stats.stems, stats.surfaces, language)
    score *= _specificity(rarest, stats.stems, stats.proper)
    if stats.proper:
        score *= 1.2  # names (세종, James Watt, ATP) are what history and science texts list
    label = stats.surfaces.most_common(1)[0][0]
    if language == "ko":
        label = " ".join(label.split())
    return Concept(label, stats.stems, round(score, 6), stats.count, first, stats.proper, rarest)


def _without_shadowed(candidates: list[Concept]) -> list[Concept]:
    """Drop a word that occurs no more often than a listed phrase that contains it."""
    phrase_counts: Counter[str] = Counter()
    for concept in candidates:
        if len(concept.stems) > 1:
            for stem in concept.stems:
                phrase_counts[stem] = max(phrase_counts[stem], concept.count)
    return [c for c in candidates if len(c.stems) > 1 or c.count > phrase_counts.get(c.stems[0], 0)]


def term_weights(concepts: list[Concept], top: int = 20) -> dict[str, float]:
    """The stems of the best concepts with their (relative) scores, for sentence scoring."""
    best = concepts[:top]
    highest = best[0].score if best else 1.0
    weights: dict[str, float] = defaultdict(float)
    for concept in best:
        for stem in concept.stems:
            weights[stem] = max(weights[stem], concept.score / highest)
    return dict(weights)


def top_labels(concepts: list[Concept], limit: int) -> list[str]:
    """Distinct labels of the best concepts, a phrase and the words it contains not both listed
    when the phrase ranks higher."""
    labels: list[str] = []
    listed: list[tuple[str, ...]] = []
    for concept in concepts:
        if any(_within(concept.stems, other) for other in listed):
            continue
        labels.append(concept.label)
        listed.append(concept.stems)
        if len(labels) == limit:
            break
    return labels


def _within(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    size = len(inner)
    return any(outer[i : i + size] == inner for i in range(len(outer) - size + 1))
