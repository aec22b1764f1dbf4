"""Extractive summaries: sentences of the text, in its order, chosen to cover its key concepts
across the whole text, never two that say nearly the same thing and never one that points back
at a sentence left out.

Selection is greedy maximal marginal relevance over concept coverage: a sentence's gain is the
weight of the key concepts it names that the sentences already chosen do not, plus its place
(the text's first sentence states the subject, a paragraph's first turns to a new point, the
last concludes), plus a bonus when it stands in a part of the text no chosen sentence comes
from, plus a share of its importance (the document's score: centrality over the whole text),
less its similarity to the closest chosen sentence. A concept weighs the square root of its
score, so the names and events a text mentions once (임진왜란, James Watt) still count against
the word it repeats throughout. Three sentences of a history text are then its beginning, a
turning point and its end rather than three neighbours that name the same king.

A sentence that opens with a reference to what came before ("In the second stage", "This",
"이러한", "이후", "또한") reads wrong without it: it is taken together with the sentence before
it (both count towards the length) or not at all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import groupby

from .document import Document, cosine
from .text import Sentence

# Sentences more similar than this to one already chosen are redundant.
_REDUNDANT = 0.65
# The parts of a sentence's gain (new concepts weigh at most 1).
_IMPORTANCE = 0.3
_NEW_PART = 0.6
_SIMILARITY = 0.5
_LEAD, _PARAGRAPH_LEAD, _CONCLUSION = 0.6, 0.15, 0.1
# The concepts a summary is meant to cover.
_CONCEPTS = 20
# A chain of references ("이후 ... 또한 ...") is followed back this many sentences at most.
_CHAIN = 3

# Openers that point back at the previous sentence: a demonstrative or a pronoun (이 과정,
# 그 결과, 이러한, this, these, it), an ordinal step (두 번째, the second stage) or a connective
# that continues an argument (또한, 그러나, however, as a result).
_KO_REFERENCE = re.compile(
    r"^(?:[이그저]\s|이러한|이런|그러한|그런|이와\s|이에\s|이로\s|이로써|이로\s*인해|이후|그\s*후|"
    r"그\s*뒤|이때|이처럼|이렇게|이같이|이것|이들|이곳|그것|그들|또한|또\s|그러나|하지만|그리고|"
    r"그러자|따라서|그래서|그러므로|결국|반면|한편|다음으로|마지막으로|끝으로|둘째|셋째|넷째|"
    r"[두세네]\s*번째|즉\s|뒤이어|이어서|여기서|여기에)"
)
_EN_REFERENCE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|them|such|here|however|also|then|next|finally"
    r"|lastly|thus|therefore|hence|instead|meanwhile|later|afterwards|consequently|moreover"
    r"|furthermore|similarly|likewise|nevertheless|nonetheless|yet|but|and|so|both|another"
    r"|second(?:ly)?|third(?:ly)?"
    r"|(?:in|at|by|after|for|from|before|during|of)\s+(?:this|that|these|those|then|it|them)"
    r"|in\s+the\s+(?:second|third|fourth|next|final|last|same)"
    r"|the\s+(?:second|third|fourth|next|latter|former|other|same|last|following|resulting)"
    r"|as\s+a\s+result|in\s+turn|in\s+addition|each\s+of\s+(?:these|them)"
    r"|over\s+the\s+following)\b",
    re.IGNORECASE,
)
_OPENING_QUOTES = "\"'\u201c\u2018( "


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


def refers_back(sentence: Sentence) -> bool:
    """The sentence opens with a word that points at what the text said before it."""
    text = sentence.text.lstrip(_OPENING_QUOTES)
    return bool(_KO_REFERENCE.match(text) or _EN_REFERENCE.match(text))


def _unit(doc: Document, index: int) -> list[int]:
    """The sentence and the ones before it that its opening refers to, earliest first."""
    unit = [index]
    while unit[0] > 0 and len(unit) < _CHAIN and refers_back(doc.sentences[unit[0]]):
        unit.insert(0, unit[0] - 1)
    # A chain longer than that still dangles at its start: not to be taken at all.
    return unit if unit[0] == 0 or not refers_back(doc.sentences[unit[0]]) else []


def _place(doc: Document, index: int) -> float:
    if index == 0:
        return _LEAD
    if index == len(doc.sentences) - 1:
        return _CONCLUSION
    return _PARAGRAPH_LEAD if doc.sentences[index].first_in_paragraph else 0.0


def select(doc: Document, shape: Shape) -> list[Sentence]:
    count = len(doc.sentences)
    target = min(max(round(count * shape.ratio), shape.minimum), shape.maximum)
    # Shorter than the source whenever there is anything to leave out.
    target = min(target, count - 1) if count > 1 else count
    if target <= 0:
        return []
    concepts = doc.concepts[:_CONCEPTS]
    highest = max((c.score for c in concepts), default=0.0) or 1.0
    weights = [math.sqrt(max(c.score, 0.0) / highest) for c in concepts]
    named = [
        {k for k, c in enumerate(concepts) if set(c.stems) <= set(sentence.terms)}
        for sentence in doc.sentences
    ]
    most = max((sum(weights[k] for k in ks) for ks in named), default=0.0) or 1.0
    top = max(doc.scores, default=0.0) or 1.0
    place = [_place(doc, i) for i in range(count)]
    units = [_unit(doc, i) for i in range(count)]

    chosen: set[int] = set()
    covered: set[int] = set()
    parts: set[int] = set()
    # Each sentence's similarity to the closest chosen one, kept up to date as sentences are
    # chosen (each pair is computed once, not in every round).
    closest = [0.0] * count
    used = 0
    while len(chosen) < target:
        best: list[int] = []
        best_gain = float("-inf")
        for index in range(count):
            unit = [j for j in units[index] if j not in chosen]
            if index in chosen or not unit or len(chosen) + len(unit) > target:
                continue
            length = sum(len(doc.sentences[j].text) + 1 for j in unit)
            if chosen and used + length > shape.budget:
                continue
            if any(closest[j] > _REDUNDANT for j in unit):
                continue
            gain = 0.0
            seen, unit_parts = set(covered), set(parts)
            for j in unit:
                fresh = named[j] - seen
                seen |= fresh
                part = j * target // count
                gain += (
                    sum(weights[k] for k in fresh) / most
                    + place[j]
                    + (_NEW_PART if part not in unit_parts else 0.0)
                    + _IMPORTANCE * doc.scores[j] / top
                    - _SIMILARITY * closest[j]
                )
                unit_parts.add(part)
            # A unit costs as many sentences as it holds, but a reference and what it refers to
            # make one point: its gain is discounted by the square root of its length.
            gain /= len(unit) ** 0.5
            if gain > best_gain:
                best, best_gain = unit, gain
        if not best:
            break
        for j in best:
            chosen.add(j)
            covered |= named[j]
            parts.add(j * target // count)
            used += len(doc.sentences[j].text) + 1
            for other in range(count):
                closest[other] = max(closest[other], cosine(doc.vectors[other], doc.vectors[j]))
    return [doc.sentences[i] for i in sorted(chosen)]


def brief(doc: Document) -> str:
    return " ".join(s.text for s in select(doc, BRIEF))


def detailed(doc: Document) -> str:
    """Chosen sentences grouped by the paragraph they come from."""
    paragraphs = groupby(select(doc, DETAILED), key=lambda s: s.paragraph)
    return "\n\n".join(" ".join(s.text for s in group) for _, group in paragraphs)


def bullets(doc: Document) -> str:
    return "\n".join(f"- {s.text}" for s in select(doc, BULLETS))
