"""The TF-IDF index of public subjects, shared by every learner and kept per process.

Every computation reads a signature of the public subjects (one aggregate row: how many, the
sum of their ids, the latest `updated_at`; any insert, delete, edit or change of visibility
moves it); when it is the one the index was built from, the vectors are reused, otherwise the
index is rebuilt (one more query for the texts; tokenizing is memoized per subject version,
see `similarity`). A
learner's own private subjects are not in the index: they are vectorized per request with its
idf. Rebuilds race harmlessly: each builder produces the same index for the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Max, QuerySet, Sum

from study.selectors import subject_public_list

from .similarity import Idf, SubjectText, Vector, inverse_document_frequency, tfidf_vector

if TYPE_CHECKING:
    from study.models import Subject

# The public subjects indexed: the most recently updated ones.
INDEX_SIZE = 2000
TEXT_FIELDS = ("id", "name", "category", "tags", "description", "updated_at")


@dataclass(frozen=True)
class SubjectIndex:
    signature: tuple[object, ...]  # of the public subjects it was built from
    idf: Idf
    vectors: dict[int, Vector]


_current: SubjectIndex | None = None


def public_subject_index() -> SubjectIndex:
    global _current  # the per-process index, replaced whole, never mutated
    public = subject_public_list()
    summary = public.aggregate(count=Count("id"), ids=Sum("id"), latest=Max("updated_at"))
    signature = (summary["count"], summary["ids"], str(summary["latest"]))
    current = _current
    if current is None or current.signature != signature:
        current = _build(signature, public)
        _current = current
    return current


def _build(signature: tuple[object, ...], public: QuerySet[Subject]) -> SubjectIndex:
    rows = public.order_by("-updated_at", "-id").values_list(*TEXT_FIELDS)[:INDEX_SIZE]
    texts = [subject_text(row) for row in rows]
    idf = inverse_document_frequency(texts)
    return SubjectIndex(signature, idf, {text.id: tfidf_vector(text, idf) for text in texts})


def subject_text(row: Sequence[object]) -> SubjectText:
    pk, name, category, tags, description, updated_at = row
    return SubjectText(
        id=int(str(pk)),
        name=str(name),
        category=str(category),
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        description=str(description),
        version=str(updated_at),
    )
