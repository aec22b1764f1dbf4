"""One analysed text: sentences, their TF-IDF vectors and an importance score per sentence
(TextRank centrality over sentence similarity, key-term coverage and position)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .concepts import Concept, find_concepts, term_weights
from .text import Language, Sentence, Token, language, split_sentences, tokenize

Vector = dict[str, float]

# TextRank over more sentences than this is quadratic for little gain: the rest are ranked by
# similarity to the whole text only.
GRAPH_LIMIT = 400
# A term in more sentences than this links nearly everything and says little about any pair.
_COMMON_TERM_FLOOR = 40


@dataclass
class Document:
    text: str
    language: Language
    sentences: list[Sentence]
    tokens: list[list[Token]]
    concepts: list[Concept] = field(default_factory=list)
    vectors: list[Vector] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def analyze(text: str) -> Document:
    sentences = split_sentences(text)
    doc = Document(text, language(text), sentences, tokenize(sentences))
    doc.concepts = find_concepts(doc.sentences, doc.tokens, doc.language)
    doc.vectors = _tfidf([s.terms for s in sentences])
    doc.scores = _importance(doc, term_weights(doc.concepts))
    return doc


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


def _tfidf(term_lists: list[list[str]]) -> list[Vector]:
    count = len(term_lists)
    frequency = Counter(term for terms in term_lists for term in set(terms))
    vectors = []
    for terms in term_lists:
        weights = {
            term: (1 + math.log(tf)) * (math.log((count + 1) / (frequency[term] + 1)) + 1)
            for term, tf in Counter(terms).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({term: w / norm for term, w in weights.items()})
    return vectors


def _similarities(vectors: list[Vector]) -> list[dict[int, float]]:
    """Pairwise cosine similarity through an inverted index: only pairs sharing a term."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings[term].append((index, weight))
    common = max(_COMMON_TERM_FLOOR, len(vectors) // 3)
    edges: list[dict[int, float]] = [defaultdict(float) for _ in vectors]
    for entries in postings.values():
        if len(entries) > common:
            continue
        for position, (i, wi) in enumerate(entries):
            for j, wj in entries[position + 1 :]:
                edges[i][j] += wi * wj
                edges[j][i] += wi * wj
    return edges


def textrank(vectors: list[Vector], damping: float = 0.85, rounds: int = 40) -> list[float]:
    count = len(vectors)
    if count == 0:
        return []
    edges = _similarities(vectors)
    totals = [sum(links.values()) for links in edges]
    rank = [1.0 / count] * count
    for _ in range(rounds):
        rank = [
            (1 - damping) / count
            + damping * sum(rank[j] * w / totals[j] for j, w in edges[i].items() if totals[j])
            for i in range(count)
        ]
    return rank


def _centroid(vectors: list[Vector]) -> Vector:
    total: Vector = defaultdict(float)
    for vector in vectors:
        for term, weight in vector.items():
            total[term] += weight
    norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
    return {term: w / norm for term, w in total.items()}


def _centrality(vectors: list[Vector]) -> list[float]:
    centroid = _centroid(vectors)
    closeness = [cosine(v, centroid) for v in vectors]
    if len(vectors) <= GRAPH_LIMIT:
        return _normalized(textrank(vectors))
    chosen = sorted(range(len(vectors)), key=lambda i: (-closeness[i], i))[:GRAPH_LIMIT]
    ranks = _normalized(textrank([vectors[i] for i in chosen]))
    result = [0.5 * c for c in _normalized(closeness)]
    for index, rank in zip(chosen, ranks, strict=True):
        result[index] = max(result[index], rank)
    return result


def _normalized(values: list[float]) -> list[float]:
    top = max(values, default=0.0)
    return [v / top for v in values] if top > 0 else [0.0 for _ in values]


def _importance(doc: Document, term_weights: dict[str, float]) -> list[float]:
    count = len(doc.sentences)
    centrality = _centrality(doc.vectors)
    coverage = _normalized(
        [sum(term_weights.get(t, 0.0) for t in set(s.terms)) for s in doc.sentences]
    )
    scores = []
    for i, sentence in enumerate(doc.sentences):
        position = 1.0 if i == 0 else (0.5 if sentence.first_in_paragraph else 0.0)
        position += 0.3 * (1 - i / count)
        # Texts state their subject first, so the lead sentence gets a real head start.
        score = 0.5 * centrality[i] + 0.3 * coverage[i] + 0.2 * position
        scores.append(score * _length_factor(sentence))
    return scores


def _length_factor(sentence: Sentence) -> float:
    """Fragments and headings say too little to summarize with; very long sentences too much."""
    if len(sentence.terms) < 3:
        return 0.3
    return 0.8 if len(sentence.text) > 350 else 1.0
