"""Reads of subjects: visibility, lists, popularity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound, PermissionDenied

from ..caching import LAYOUT, LEARNERS_TAG, SUBJECTS_TAG, subject_page_key, subjects_cache
from ..models import StudyGoal, StudyProgress, StudySummary, Subject
from ..pages import Page, PageRequest, Row, encode, iso, page_of

if TYPE_CHECKING:
    from accounts.models import User

# Popular subjects are ranked and cached as one list of at most this many.
POPULAR_LIMIT = 100


@dataclass(frozen=True)
class SubjectFilters:
    category: str | None = None
    difficulty_level: str | None = None
    is_public: bool | None = None
    search: str = ""


def subject_visibility(user: User) -> Q:
    """Public subjects, and the user's own private ones."""
    return Q(is_public=True) | Q(created_by=user)


def subject_list(*, user: User, filters: SubjectFilters | None = None) -> QuerySet[Subject]:
    filters = filters or SubjectFilters()
    subjects = Subject.objects.filter(subject_visibility(user))
    if filters.category is not None:
        subjects = subjects.filter(category=filters.category)
    if filters.difficulty_level is not None:
        subjects = subjects.filter(difficulty_level=filters.difficulty_level)
    if filters.is_public is not None:
        subjects = subjects.filter(is_public=filters.is_public)
    if filters.search:
        subjects = subjects.filter(name__icontains=filters.search)
    return subjects.order_by("name", "id")


def subject_public_list() -> QuerySet[Subject]:
    """Every public subject, unordered: what any learner may see, for shared indexes."""
    return Subject.objects.filter(is_public=True).order_by()


def subject_get(*, user: User, subject_id: int) -> Subject:
    """A subject the user may see; another user's private subject is not found."""
    subject = Subject.objects.filter(subject_visibility(user), pk=subject_id).first()
    if subject is None:
        raise NotFound(_("Subject not found."))
    return subject


def subject_get_owned(*, user: User, subject_id: int) -> Subject:
    """For edits: hidden subjects are 404; a public subject of someone else is 403 (it is
    visible, so refusing says nothing new)."""
    subject = subject_get(user=user, subject_id=subject_id)
    if subject.created_by_id != user.pk:
        raise PermissionDenied(_("Only the creator of a subject can change it."))
    return subject


def subject_row(subject: Subject) -> Row:
    return {
        "id": subject.pk,
        "name": subject.name,
        "description": subject.description,
        "category": subject.category,
        "difficulty_level": subject.difficulty_level,
        "is_public": subject.is_public,
        "tags": list(subject.tags or []),
        "created_by": subject.created_by_id,
        "created_at": iso(subject.created_at),
        "updated_at": iso(subject.updated_at),
    }


def subject_page(*, user: User, filters: SubjectFilters, page: PageRequest) -> Page:
    """A page of the subjects the user sees, cached per user (private subjects differ)."""
    return subjects_cache.get_or_set(
        subject_page_key(user=user, filters=filters, page=page),
        lambda: page_of(subject_list(user=user, filters=filters), page, subject_row),
        tags=[SUBJECTS_TAG],
    )


def subject_has_other_learners(*, subject: Subject, user: User) -> bool:
    """Whether anyone but `user` keeps progress, summaries or goals in the subject."""
    return any(
        model.objects.filter(subject=subject).exclude(user=user).exists()
        for model in (StudyProgress, StudySummary, StudyGoal)
    )


# --- popularity ---------------------------------------------------------------------------------

# Learners of a subject: distinct users with progress or summaries in it. UNION (not ALL)
# removes the duplicates of users with both before counting.
_LEARNERS_SQL = """
SELECT s.id, COUNT(l.user_id) AS learners
FROM {subject} s
LEFT JOIN (
    SELECT subject_id, user_id FROM {progress}
    UNION
    SELECT subject_id, user_id FROM {summary}
) l ON l.subject_id = s.id
WHERE {where}
GROUP BY s.id, s.name
ORDER BY learners DESC, s.name, s.id
"""


def subject_learner_counts(
    *, subject_ids: Iterable[int] | None = None, limit: int | None = None
) -> list[tuple[int, int]]:
    """(subject id, learner count), most learners first: for the given subjects, or else for
    every public subject. One query."""
    params: list[bool | int] = []
    if subject_ids is None:
        where = "s.is_public = %s"
        params.append(True)
    else:
        ids = sorted(set(subject_ids))
        if not ids:
            return []
        where = f"s.id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    sql = _LEARNERS_SQL.format(
        subject=_table(Subject),
        progress=_table(StudyProgress),
        summary=_table(StudySummary),
        where=where,
    )
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(subject_id), int(count)) for subject_id, count in cursor.fetchall()]


def _table(model: type[Subject | StudyProgress | StudySummary]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@dataclass(frozen=True)
class PopularSubjects:
    """The ranking: subject ids and their rows (`subject_row` plus `learner_count`) as JSON."""

    subject_ids: tuple[int, ...]
    rows: tuple[bytes, ...]


def subject_popular() -> PopularSubjects:
    """Public subjects by learner count, most first (at most POPULAR_LIMIT). Cached for
    everyone; two queries on a miss."""
    return subjects_cache.get_or_set(
        subjects_cache.key("popular", limit=POPULAR_LIMIT, layout=LAYOUT),
        _popular,
        tags=[SUBJECTS_TAG, LEARNERS_TAG],
    )


def _popular() -> PopularSubjects:
    ranking = subject_learner_counts(limit=POPULAR_LIMIT)
    subjects = Subject.objects.in_bulk([subject_id for subject_id, _count in ranking])
    ranked = [(subjects[pk], count) for pk, count in ranking if pk in subjects]
    return PopularSubjects(
        subject_ids=tuple(subject.pk for subject, _count in ranked),
        rows=tuple(encode({**subject_row(s), "learner_count": n}) for s, n in ranked),
    )
