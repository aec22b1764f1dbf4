"""Reads of AI summaries: only ever the learner's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import StudySummary, SummaryStatus, SummaryType

if TYPE_CHECKING:
    from accounts.models import User


def summary_list(
    *,
    user: User,
    subject_id: int | None = None,
    status: str | None = None,
    summary_type: str | None = None,
) -> QuerySet[StudySummary]:
    summaries = StudySummary.objects.filter(user=user)
    if subject_id is not None:
        summaries = summaries.filter(subject_id=subject_id)
    if status is not None:
        summaries = summaries.filter(status=status)
    if summary_type is not None:
        summaries = summaries.filter(summary_type=summary_type)
    return summaries.order_by("-created_at", "-id")


def summary_get(*, user: User, summary_id: int) -> StudySummary:
    summary = StudySummary.objects.filter(user=user, pk=summary_id).first()
    if summary is None:
        raise NotFound(_("Summary not found."))
    return summary


def summary_completed_identical(
    *, user: User, subject_id: int, content_hash: str, summary_type: str, provider: str
) -> StudySummary | None:
    """The learner's newest completed summary of the same material (by `content_hash`), subject,
    type and requested provider: what an identical request gets instead of a new charge."""
    return (
        StudySummary.objects.filter(
            user=user,
            content_hash=content_hash,
            subject_id=subject_id,
            summary_type=summary_type,
            requested_provider=provider,
            status=SummaryStatus.COMPLETED,
        )
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class SummaryConcepts:
    """A completed summary as spaced review reads it. `concepts` is the summary's own list for
    key-concept summaries, None for the other types (the reader extracts them from `text`)."""

    summary_id: int
    user_id: int
    subject_id: int
    title: str
    text: str
    source: str
    concepts: tuple[str, ...] | None


def summary_key_concepts(*, summary_id: int) -> SummaryConcepts | None:
    """For the learner's own after-commit hooks (no request user): None unless completed."""
    summary = StudySummary.objects.filter(pk=summary_id, status=SummaryStatus.COMPLETED).first()
    if summary is None:
        return None
    listed = None
    if summary.summary_type == SummaryType.KEY_CONCEPTS:
        listed = tuple(line.strip() for line in summary.summary.splitlines() if line.strip())
    return SummaryConcepts(
        summary_id=summary.pk,
        user_id=summary.user_id,
        subject_id=summary.subject_id,
        title=summary.title,
        text=summary.summary,
        source=summary.content,
        concepts=listed,
    )
