"""Reads of AI summaries: only ever the learner's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import StudySummary

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
