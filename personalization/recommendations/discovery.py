"""Sources of things the learner has not started: subjects like the ones they do well in, and
popular subjects and quizzes (what a learner without history gets).

Scores stay below the sources about the learner's own work (see `sources`):

- similar_subject: 0.2 + 0.6 * cosine * strength, where strength is how well the learner does
  in the subject it resembles: the predicted success on a medium question there (when at least
  MIN_EVIDENCE answers put it at STRONG_FROM or more), else up to 0.5 from the study time logged
  in it (log-scaled, full at STUDY_FULL_MINUTES);
- popular_subject / popular_quiz: 0.1 + 0.3 * log(1 + learners) / log(1 + most learners).

Candidates are only what the learner may see: public subjects and their own (never another
learner's private subject), public quizzes of other learners.
"""

from __future__ import annotations

import heapq
import json
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from quiz.selectors import quiz_popular
from study.selectors import SubjectFilters, subject_list, subject_popular

from .. import knowledge
from .context import MIN_EVIDENCE, LearnerContext
from .index import TEXT_FIELDS, public_subject_index, subject_text
from .similarity import Vector, cosine, tfidf_vector
from .types import Recommendation, RecommendationType

STRONG_FROM = 0.7
STUDY_FULL_MINUTES = 600
STUDY_MAX_STRENGTH = 0.5
# Below this cosine two subjects share too little to call them similar.
MIN_SIMILARITY = 0.08
# The learner's own subjects compared (besides the public index), newest first.
CANDIDATE_POOL = 500
# Candidates re-scored against each liked subject after a first pass against their sum.
RESCORED = 25
# The learner's strongest subjects that candidates are compared with.
MAX_LIKED = 25
MAX_PER_SOURCE = 10
POPULAR_QUIZZES = 20


@dataclass(frozen=True)
class _Strength:
    value: float
    predicted: float | None  # the predicted success behind it; None when it is study time


def _strengths(ctx: LearnerContext) -> dict[int, _Strength]:
    """The subjects the learner does well in, and how well."""
    strengths: dict[int, _Strength] = {}
    for subject_id, minutes in ctx.study_minutes.items():
        if minutes > 0:
            share = min(1.0, math.log1p(minutes) / math.log1p(STUDY_FULL_MINUTES))
            strengths[subject_id] = _Strength(STUDY_MAX_STRENGTH * share, None)
    for key, learner in ctx.abilities.items():
        if key is None or learner.n < MIN_EVIDENCE:
            continue
        p = knowledge.predict(learner, [], knowledge.new_item())
        if p >= STRONG_FROM:
            strengths[key] = _Strength(p, p)
        else:  # the answers say the learner does not do well there, whatever the time spent
            strengths.pop(key, None)
    return strengths


def similar_subjects(ctx: LearnerContext) -> list[Recommendation]:
    """Unstarted subjects whose text resembles the subjects the learner does well in: the
    public ones (the shared index) and the learner's own. Three queries (four when the index
    is rebuilt); none for a learner without strengths."""
    ranked = sorted(_strengths(ctx).items(), key=lambda s: (-s[1].value, s[0]))
    strengths = dict(ranked[:MAX_LIKED])
    if not strengths:
        return []
    index = public_subject_index()
    visible = subject_list(user=ctx.user)
    liked = [
        subject_text(row) for row in visible.filter(pk__in=strengths).values_list(*TEXT_FIELDS)
    ]
    # Visible and not public: the learner's own private subjects.
    private = subject_list(user=ctx.user, filters=SubjectFilters(is_public=False))
    own = private.exclude(pk__in=ctx.started)
    own_rows = own.order_by("-updated_at", "-id").values_list(*TEXT_FIELDS)[:CANDIDATE_POOL]
    own_texts = [subject_text(row) for row in own_rows]
    vectors = dict(index.vectors)
    for text in [*liked, *own_texts]:
        if text.id not in vectors:
            vectors[text.id] = tfidf_vector(text, index.idf)
    pool = [pk for pk in index.vectors if pk not in ctx.started] + [t.id for t in own_texts]
    names = {subject.id: subject.name for subject in liked}
    matches = _best_matches(pool, list(names), vectors, strengths)
    return [_similar(pk, match, names, strengths) for pk, match in matches]


@dataclass(frozen=True)
class _Match:
    liked_id: int
    similarity: float  # cosine
    weighted: float  # cosine * strength


def _best_matches(
    pool: list[int],
    liked_ids: list[int],
    vectors: dict[int, Vector],
    strengths: dict[int, _Strength],
) -> list[tuple[int, _Match]]:
    """The candidates most like one liked subject (cosine weighted by its strength). A first
    pass against the strength-weighted sum of the liked vectors keeps this linear in the pool;
    only the best RESCORED are compared with each liked subject."""
    profile: Vector = {}
    for pk in liked_ids:
        for term, weight in vectors[pk].items():
            profile[term] = profile.get(term, 0.0) + weight * strengths[pk].value
    first = heapq.nlargest(RESCORED, pool, key=lambda pk: cosine(vectors[pk], profile))
    matches = []
    for candidate in first:
        best = max(
            (
                _Match(pk, sim, sim * strengths[pk].value)
                for pk in liked_ids
                if (sim := cosine(vectors[candidate], vectors[pk])) >= MIN_SIMILARITY
            ),
            key=lambda m: m.weighted,
            default=None,
        )
        if best is not None:
            matches.append((candidate, best))
    matches.sort(key=lambda m: (-m[1].weighted, m[0]))
    return matches[:MAX_PER_SOURCE]


def _similar(
    subject_id: int, match: _Match, names: dict[int, str], strengths: dict[int, _Strength]
) -> Recommendation:
    strength = strengths[match.liked_id]
    values = {"subject": names[match.liked_id]}
    if strength.predicted is not None:
        values["percent"] = str(round(100 * strength.predicted))
        reason = _("Similar to %(subject)s, where you do well (%(percent)s%% predicted)") % values
    else:
        reason = _("Similar to %(subject)s, which you study") % values
    return Recommendation(
        type=RecommendationType.SIMILAR_SUBJECT,
        key=f"subject:{subject_id}",
        score=0.2 + 0.6 * match.weighted,
        reason=reason,
        item={"similar_to": {"id": match.liked_id, "name": names[match.liked_id]}},
        subject_id=subject_id,
    )


# --- popular ------------------------------------------------------------------------------------


def _popularity(learners: int, most: int) -> float:
    return math.log1p(learners) / math.log1p(most) if most else 0.0


def popular_subjects(ctx: LearnerContext) -> list[Recommendation]:
    """Public subjects by learner count that the learner has not started (the shared, cached
    ranking: no query when it is cached)."""
    rows = [json.loads(row) for row in subject_popular().rows]
    most = max((int(row["learner_count"]) for row in rows), default=0)
    fresh = [row for row in rows if row["id"] not in ctx.started][:MAX_PER_SOURCE]
    return [
        Recommendation(
            type=RecommendationType.POPULAR_SUBJECT,
            key=f"subject:{row['id']}",
            score=0.1 + 0.3 * _popularity(int(row["learner_count"]), most),
            reason=_learners_reason(int(row["learner_count"])),
            item={"learner_count": int(row["learner_count"])},
            subject_id=int(row["id"]),
        )
        for row in fresh
    ]


def _learners_reason(count: int) -> str:
    if count == 0:
        return _("A new subject to explore")
    return ngettext("%(count)d learner studies it", "%(count)d learners study it", count) % {
        "count": count
    }


def popular_quizzes(ctx: LearnerContext) -> list[Recommendation]:
    """Other learners' public quizzes the learner has not taken, by how many learners took
    them. One query."""
    quizzes = quiz_popular(user=ctx.user, limit=POPULAR_QUIZZES)
    most = max((q["learners"] for q in quizzes), default=0)
    return [
        Recommendation(
            type=RecommendationType.POPULAR_QUIZ,
            key=f"quiz:{quiz['id']}",
            score=0.1 + 0.3 * _popularity(quiz["learners"], most),
            reason=_quiz_reason(quiz["learners"]),
            item={
                "quiz": {
                    "id": quiz["id"],
                    "title": quiz["title"],
                    "difficulty": quiz["difficulty"],
                },
                "learner_count": quiz["learners"],
            },
        )
        for quiz in quizzes[:MAX_PER_SOURCE]
    ]


def _quiz_reason(count: int) -> str:
    if count == 0:
        return _("A new quiz to try")
    return ngettext(
        "%(count)d learner took this quiz", "%(count)d learners took this quiz", count
    ) % {"count": count}
