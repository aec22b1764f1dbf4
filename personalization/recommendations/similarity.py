"""Content-based similarity of subjects: TF-IDF over their category, tags, name and description.

No Django imports. Each field's terms count with a weight (a shared category or tag says more
about two subjects than a shared word of their descriptions), and category and tags also enter
as whole-value terms (`cat:biology`, `tag:cell biology`), so multi-word values match exactly as
well as by their words. Term frequency is sublinear (1 + log tf), idf is smoothed
(log((1 + N) / (1 + df)) + 1, as scikit-learn's), vectors are L2-normalized, and similarity is
their dot product (cosine). The tokenized form of a subject is memoized per process by its id
and version (`updated_at`), so a request only tokenizes subjects changed since the last one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
# Descriptions past this many characters add little and would only cost time.
MAX_DESCRIPTION = 2000
WEIGHT_CATEGORY = 3.0
WEIGHT_TAG = 2.0
WEIGHT_NAME = 2.0
WEIGHT_DESCRIPTION = 1.0
# fmt: off
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into",
    "is", "it", "its", "of", "on", "or", "the", "this", "to", "with", "your", "you", "about",
    "introduction", "basics", "course", "study", "learn", "learning",
})
# fmt: on

Vector = dict[str, float]


@dataclass(frozen=True)
class SubjectText:
    id: int
    name: str
    category: str
    tags: Sequence[str]
    description: str
    # Changes whenever the text may have changed (the row's `updated_at`): the memo's key.
    version: str = ""


def _words(text: str) -> Counter[str]:
    return Counter(
        word
        for word in _WORD.findall(text.casefold())
        if len(word) > 1 and word not in STOPWORDS and not word.isdigit()
    )


def _add(terms: defaultdict[str, float], words: Counter[str], weight: float) -> None:
    for word, count in words.items():
        terms[word] += count * weight


def subject_terms(subject: SubjectText) -> dict[str, float]:
    """The weighted term counts of one subject."""
    terms: defaultdict[str, float] = defaultdict(float)
    category = subject.category.strip().casefold()
    if category:
        terms[f"cat:{category}"] += WEIGHT_CATEGORY
        _add(terms, _words(category), WEIGHT_CATEGORY)
    for tag in subject.tags:
        tag = str(tag).strip().casefold()
        if tag:
            terms[f"tag:{tag}"] += WEIGHT_TAG
            _add(terms, _words(tag), WEIGHT_TAG)
    _add(terms, _words(subject.name), WEIGHT_NAME)
    _add(terms, _words(subject.description[:MAX_DESCRIPTION]), WEIGHT_DESCRIPTION)
    return dict(terms)


# Sublinear term frequencies by (subject id, version), per process: tokenizing is most of the
# cost and a subject's text only changes with its version. Bounded: emptied when full.
_TF_MEMO: dict[tuple[int, str], dict[str, float]] = {}
TF_MEMO_SIZE = 50_000


def term_frequencies(subject: SubjectText) -> dict[str, float]:
    """1 + log(weighted count) of each term of the subject (memoized by id and version)."""
    key = (subject.id, subject.version)
    found = _TF_MEMO.get(key) if subject.version else None
    if found is None:
        found = {t: 1.0 + math.log(tf) for t, tf in subject_terms(subject).items() if tf > 0}
        if subject.version:
            if len(_TF_MEMO) >= TF_MEMO_SIZE:
                _TF_MEMO.clear()
            _TF_MEMO[key] = found
    return found


@dataclass(frozen=True)
class Idf:
    weights: dict[str, float]
    unseen: float  # the idf of a term no document of the corpus has

    def __call__(self, term: str) -> float:
        return self.weights.get(term, self.unseen)


def inverse_document_frequency(subjects: Sequence[SubjectText]) -> Idf:
    document_frequency: Counter[str] = Counter()
    for subject in subjects:
        document_frequency.update(term_frequencies(subject).keys())
    total = len(subjects)
    weights = {t: math.log((1 + total) / (1 + df)) + 1.0 for t, df in document_frequency.items()}
    return Idf(weights, math.log(1 + total) + 1.0)


def tfidf_vector(subject: SubjectText, idf: Idf) -> Vector:
    """The subject's normalized TF-IDF vector under the corpus' idf."""
    vector = {term: tf * idf(term) for term, tf in term_frequencies(subject).items()}
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {term: w / norm for term, w in vector.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    """Dot product of two normalized vectors, over the terms they share (found in C)."""
    return sum(a[term] * b[term] for term in a.keys() & b.keys())
