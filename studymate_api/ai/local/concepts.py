"""Key concepts: the terms and short phrases a text is about.

A term scores by how often it occurs, in how many sentences, and whether it is in the first
sentence (where texts name their subject). A phrase (two or three adjacent concept words seen at
least twice: "light energy", "빛 에너지") scores higher per occurrence than its words, and a word
that only ever occurs inside a chosen phrase is not listed again on its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .text import Language, Sentence, Token, adjacent


@dataclass(frozen=True)
class Concept:
    label: str
    stems: tuple[str, ...]
    score: float
    count: int
    first_sentence: int


@dataclass
class _Stats:
    count: int = 0
    sentences: set[int] = field(default_factory=set)
    surfaces: Counter[str] = field(default_factory=Counter)

    def add(self, sentence: int, surface: str) -> None:
        self.count += 1
        self.sentences.add(sentence)
        self.surfaces[surface] += 1


def find_concepts(
    sentences: list[Sentence], tokens: list[list[Token]], language: Language
) -> list[Concept]:
    """Every candidate, best first (ties: earliest in the text, then alphabetical)."""
    terms: dict[tuple[str, ...], _Stats] = defaultdict(_Stats)
    phrases: dict[tuple[str, ...], _Stats] = defaultdict(_Stats)
    for sentence, sentence_tokens in zip(sentences, tokens, strict=True):
        for token in sentence_tokens:
            if token.concept and _long_enough(token.stem, language):
                terms[(token.stem,)].add(sentence.index, token.surface)
        for run in _phrases(sentence, sentence_tokens, language):
            phrases[tuple(t.stem for t in run)].add(sentence.index, _phrase_label(run))
    candidates = [_concept(k, s, 1.0) for k, s in terms.items()]
    candidates += [_concept(k, s, 1.6 * len(k)) for k, s in phrases.items() if s.count >= 2]
    candidates.sort(key=lambda c: (-c.score, c.first_sentence, c.label))
    return _without_shadowed(candidates)


def _long_enough(stem: str, language: Language) -> bool:
    return len(stem) >= (1 if language == "ko" else 3)


def _concept(stems: tuple[str, ...], stats: _Stats, weight: float) -> Concept:
    first = min(stats.sentences)
    score = weight * stats.count + 0.5 * len(stats.sentences) + (1.0 if first == 0 else 0.0)
    if len(stems) == 1 and len(stems[0]) >= 3:
        score *= 1.1  # longer words are more often technical terms
    label = stats.surfaces.most_common(1)[0][0]
    return Concept(label, stems, round(score, 6), stats.count, first)


def _phrases(sentence: Sentence, tokens: list[Token], language: Language) -> list[list[Token]]:
    runs = []
    for start in range(len(tokens)):
        run = [tokens[start]]
        for token in tokens[start + 1 : start + 3]:
            previous = run[-1]
            # In Korean a particle ends the noun phrase: 빛 에너지를 yes, 식물은 빛 no.
            joined = adjacent(sentence.text, previous, token) and (
                language == "en" or previous.bare
            )
            if not (joined and token.concept and previous.concept):
                break
            run.append(token)
            runs.append(list(run))
    return runs


def _phrase_label(run: list[Token]) -> str:
    return " ".join(token.surface for token in run)


def _without_shadowed(candidates: list[Concept]) -> list[Concept]:
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
    weights: dict[str, float] = {}
    for concept in best:
        for stem in concept.stems:
            weights[stem] = max(weights.get(stem, 0.0), concept.score / highest)
    return weights


def top_labels(concepts: list[Concept], limit: int) -> list[str]:
    """Distinct labels of the best concepts, a phrase and the words it contains not both listed
    when the phrase ranks higher."""
    labels: list[str] = []
    seen: set[str] = set()
    for concept in concepts:
        key = concept.label.casefold()
        if key in seen or any(key in label.casefold().split() for label in labels):
            continue
        labels.append(concept.label)
        seen.add(key)
        if len(labels) == limit:
            break
    return labels
