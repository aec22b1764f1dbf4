"""Reads of AI summaries: only ever the learner's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from studymate_api.ai.local import key_concepts
from studymate_api.core.errors import NotFound

from ..events import SummaryPayload
from ..models import (
    StudyProgress,
    StudySettings,
    StudySummary,
    Subject,
    SummaryStatus,
    SummaryType,
)
from .subjects import subject_visibility

if TYPE_CHECKING:
    from accounts.models import User

# Concepts mined from a summary that is not a key-concept list (as many as the offline provider
# lists for a key-concept summary).
MINED_CONCEPTS = 8


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
class SummaryRequestTarget:
    """What a summary request reads before it writes: the subject, the provider to ask (the
    requested one, else the learner's preferred), an identical completed summary's id, and
    whether the learner already counts among the subject's learners (progress or a summary in
    it: `subject_learner_counts`)."""

    subject: Subject
    provider: str
    identical_id: int | None
    already_learner: bool


def summary_request_target(
    *, user: User, subject_id: int, content_hash: str, summary_type: str, provider: str
) -> SummaryRequestTarget:
    """One query for them all (see `summary_completed_identical` for "identical"). `provider`
    empty: the learner's preferred one, or the settings' default when they have none. Raises
    NotFound when the learner may not see the subject."""
    default = StudySettings._meta.get_field("preferred_ai_provider").get_default()
    preferred = StudySettings.objects.filter(user=user).values("preferred_ai_provider")[:1]
    identical = (
        StudySummary.objects.filter(
            user=user,
            content_hash=content_hash,
            subject_id=OuterRef("pk"),
            summary_type=summary_type,
            requested_provider=OuterRef("chosen_provider"),
            status=SummaryStatus.COMPLETED,
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    subject = (
        Subject.objects.filter(subject_visibility(user), pk=subject_id)
        .annotate(
            chosen_provider=Value(provider)
            if provider
            else Coalesce(Subquery(preferred), Value(default))
        )
        .annotate(
            identical_id=Subquery(identical),
            summarized=Exists(StudySummary.objects.filter(user=user, subject_id=OuterRef("pk"))),
            studied=Exists(StudyProgress.objects.filter(user=user, subject_id=OuterRef("pk"))),
        )
        .first()
    )
    if subject is None:
        raise NotFound(_("Subject not found."))
    return SummaryRequestTarget(
        subject=subject,
        provider=subject.chosen_provider,
        identical_id=subject.identical_id,
        already_learner=subject.summarized or subject.studied,
    )


@dataclass(frozen=True)
class SummaryConcepts:
    """A completed summary as spaced review reads it, with its key concepts: a key-concept
    summary's own list, else the key terms of the summary's text (of its source when the text is
    empty) as the offline analysis finds them. Either way no second model call: the concepts
    come from text the summary already has."""

    summary_id: int
    user_id: int
    subject_id: int
    title: str
    text: str
    source: str
    concepts: tuple[str, ...]


def summary_key_concepts(
    *, summary_id: int, completed: SummaryPayload | None = None, mined: int = MINED_CONCEPTS
) -> SummaryConcepts | None:
    """For the learner's own after-commit hooks (no request user): None unless completed.

    `completed`: the payload of the summary's SummaryCompleted event, whose text saves reading
    the summary again; only a summary with an empty text (its concepts then come from its
    source, which no event carries) is read all the same. `mined`: how many concepts to mine
    from a summary that is not a key-concept list (a caller that will skip some asks for more).

    Either way the concepts come most important first: a key-concept list in the order the
    provider wrote it (the task asks for "most important first", and the offline provider lists
    them by score), mined ones by the offline analysis's score."""
    subject_id = completed["subject_id"] if completed is not None else None
    if completed is not None and subject_id is not None and completed["summary"].strip():
        carried = StudySummary(
            pk=completed["summary_id"],
            user_id=completed["user_id"],
            subject_id=subject_id,
            title=completed["title"],
            summary_type=completed["summary_type"],
            summary=completed["summary"],
        )
        return _concepts(carried, source="", mined=mined)
    summary = StudySummary.objects.filter(pk=summary_id, status=SummaryStatus.COMPLETED).first()
    if summary is None:
        return None
    return _concepts(summary, source=summary.content, mined=mined)


def _concepts(summary: StudySummary, *, source: str, mined: int) -> SummaryConcepts:
    if summary.summary_type == SummaryType.KEY_CONCEPTS:
        listed = tuple(line.strip() for line in summary.summary.splitlines() if line.strip())
    else:
        listed = tuple(key_concepts(summary.summary or source, limit=mined))
    return SummaryConcepts(
        summary_id=summary.pk,
        user_id=summary.user_id,
        subject_id=summary.subject_id,
        title=summary.title,
        text=summary.summary,
        source=source,
        concepts=listed,
    )
