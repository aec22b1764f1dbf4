"""Extractive summaries: the most important sentences of the text, in their original order,
never two that say nearly the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from .document import Document, cosine
from .text import Sentence

# Sentences more similar than this to one already chosen are redundant.
_REDUNDANT = 0.65


@dataclass(frozen=True)
class Shape:
    ratio: float
    minimum: int
    maximum: int
    # Characters; the task's own limit is the hard one, this keeps well under it.
    budget: int


BRIEF = Shape(ratio=0.2, minimum=1, maximum=3, budget=600)
DETAILED = Shape(ratio=0.4, minimum=2, maximum=12, budget=4500)
BULLETS = Shape(ratio=0.3, minimum=2, maximum=7, budget=2300)


def select(doc: Document, shape: Shape) -> list[Sentence]:
    count = len(doc.sentences)
    target = min(max(round(count * shape.ratio), shape.minimum), shape.maximum)
    # Shorter than the source whenever there is anything to leave out.
    target = min(target, count - 1) if count > 1 else count
    chosen: list[int] = []
    used = 0
    for i in sorted(range(count), key=lambda i: (-doc.scores[i], i)):
        if len(chosen) == target:
            break
        length = len(doc.sentences[i].text) + 1
        if chosen and used + length > shape.budget:
            continue
        if any(cosine(doc.vectors[i], doc.vectors[j]) > _REDUNDANT for j in chosen):
            continue
        chosen.append(i)
        used += length
    return [doc.sentences[i] for i in sorted(chosen)]


def brief(doc: Document) -> str:
    return " ".join(s.text for s in select(doc, BRIEF))


def detailed(doc: Document) -> str:
    """Chosen sentences grouped by the paragraph they come from."""
    paragraphs = groupby(select(doc, DETAILED), key=lambda s: s.paragraph)
    return "\n\n".join(" ".join(s.text for s in group) for _, group in paragraphs)


def bullets(doc: Document) -> str:
    return "\n".join(f"- {s.text}" for s in select(doc, BULLETS))
