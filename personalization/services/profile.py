"""Writes of the learner profile: observed activities folded into the decayed evidence.

Every source calls `profile_observe`, which claims the activity's key (when it has one) in the
same transaction as the change, so a redelivered event or a repeated call changes nothing twice:

| source | key | format (style) | outcome |
| --- | --- | --- | --- |
| `POST update_pattern/` | none: each call is a new observation | its `content_type` | `score`/100 |
| StudyTimeLogged event | `event:<id>` | none (a log does not say how) | none |
| QuizCompleted event | `event:<id>` | reading (quiz questions are read text) | percentage/100 |
| `learning_session_record` | `session:<id>` when given | its `content_type`, if any | focus/100 |

Study time logs only tell when the learner studies; they carry no format evidence. A finished
quiz counts as reading for the format and feeds "when you score best"; its minutes are added to
the study hours from QuizCompleted alone (finishing logs them as study progress without a
StudyTimeLogged). A session's minutes reach the study hours through the study time the realtime
app logs for it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import user_get_active
from study.selectors import subject_get, user_timezone

from .. import learning_style
from ..caching import personalization_invalidate_on_commit
from ..models import LearnerProfile, ProcessedActivity

if TYPE_CHECKING:
    from accounts.models import User


class ContentType(TextChoices):
    VIDEO = "video", _("Video")
    DIAGRAM = "diagram", _("Diagrams and images")
    INFOGRAPHIC = "infographic", _("Infographic")
    AUDIO = "audio", _("Audio")
    PODCAST = "podcast", _("Podcast")
    LECTURE = "lecture", _("Spoken lecture")
    DISCUSSION = "discussion", _("Discussion")
    INTERACTIVE = "interactive", _("Interactive exercise")
    PRACTICE = "practice", _("Hands-on practice")
    SIMULATION = "simulation", _("Simulation")
    TEXT = "text", _("Text")
    ARTICLE = "article", _("Article")
    NOTES = "notes", _("Notes")
    SUMMARY = "summary", _("Summary")
    QUIZ = "quiz", _("Quiz")


CONTENT_STYLE = {
    ContentType.VIDEO: "visual",
    ContentType.DIAGRAM: "visual",
    ContentType.INFOGRAPHIC: "visual",
    ContentType.AUDIO: "auditory",
    ContentType.PODCAST: "auditory",
    ContentType.LECTURE: "auditory",
    ContentType.DISCUSSION: "auditory",
    ContentType.INTERACTIVE: "kinesthetic",
    ContentType.PRACTICE: "kinesthetic",
    ContentType.SIMULATION: "kinesthetic",
    ContentType.TEXT: "reading",
    ContentType.ARTICLE: "reading",
    ContentType.NOTES: "reading",
    ContentType.SUMMARY: "reading",
    ContentType.QUIZ: "reading",
}


class ActivityType(TextChoices):
    STUDY = "study", _("Studying material")
    REVIEW = "review", _("Reviewing")
    PRACTICE = "practice", _("Practising")
    QUIZ = "quiz", _("Taking a quiz")
    LECTURE = "lecture", _("Attending a lecture")


SECONDS_PER_DAY = 86_400.0
MAX_ACTIVITY_MINUTES = 1440


def observation_at(
    *,
    user: User,
    at: datetime.datetime,
    minutes: float,
    content_type: str | None = None,
    score_percent: float | None = None,
    counts_time: bool = True,
) -> learning_style.Observation:
    """An observation at `at`, its hour taken in the learner's time zone."""
    return observation_in(
        user_timezone(user),
        at=at,
        minutes=minutes,
        content_type=content_type,
        score_percent=score_percent,
        counts_time=counts_time,
    )


def observation_in(
    zone: datetime.tzinfo,
    *,
    at: datetime.datetime,
    minutes: float,
    content_type: str | None = None,
    score_percent: float | None = None,
    counts_time: bool = True,
) -> learning_style.Observation:
    """An observation at `at`, its hour taken in `zone` (the learner's, as an event told it)."""
    return learning_style.Observation(
        day=at.timestamp() / SECONDS_PER_DAY,
        local_hour=at.astimezone(zone).hour,
        minutes=minutes,
        style=CONTENT_STYLE.get(ContentType(content_type)) if content_type else None,
        outcome=None if score_percent is None else min(max(score_percent, 0.0), 100.0) / 100,
        counts_time=counts_time,
    )


def profile_observe(
    *, user_id: int, observation: learning_style.Observation, key: str | None = None
) -> bool:
    """Folds one observation into the learner's evidence, once per `key`. Returns whether
    it was applied. The profile row is locked, so concurrent observations serialize; a first
    profile is inserted by an upsert (were another one created in between, this observation
    would win over it). Joins the caller's transaction (an outbox delivery) with no savepoint
    of its own: the claim, the read and the write are three statements."""
    with transaction.atomic(savepoint=False):
        if key is not None and not _claim(key[:120]):
            return False
        profile = LearnerProfile.objects.select_for_update().filter(user_id=user_id).first()
        if profile is None:
            profile = LearnerProfile(user_id=user_id)
        evidence = learning_style.observe(profile_evidence(profile), observation)
        _store(profile, evidence)
        personalization_invalidate_on_commit(user_id)
    return True


def _claim(key: str) -> bool:
    """Whether this transaction claimed the activity: one statement, no savepoint."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(ProcessedActivity._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, processed_at) VALUES (%s, %s)"  # noqa: S608
            " ON CONFLICT (key) DO NOTHING RETURNING id",
            [key, now],
        )
        return cursor.fetchone() is not None


def profile_evidence(profile: LearnerProfile) -> learning_style.Evidence:
    day = profile.evidence_at.timestamp() / SECONDS_PER_DAY if profile.evidence_at else None
    hours = learning_style.HOURS
    return learning_style.Evidence(
        day=day,
        weights={k: float(v) for k, v in dict(profile.style_weights or {}).items()},
        counts={k: float(v) for k, v in dict(profile.style_counts or {}).items()},
        totals={k: int(v) for k, v in dict(profile.style_totals or {}).items()},
        hour_minutes=_per_hour(profile.hour_minutes, hours),
        hour_score_sums=_per_hour(profile.hour_score_sums, hours),
        hour_score_counts=_per_hour(profile.hour_score_counts, hours),
    )


def _per_hour(values: object, hours: int) -> list[float]:
    listed = [float(v) for v in values] if isinstance(values, list) else []
    return (listed + [0.0] * hours)[:hours]


def _store(profile: LearnerProfile, evidence: learning_style.Evidence) -> None:
    profile.style_weights = evidence.weights
    profile.style_counts = evidence.counts
    profile.style_totals = evidence.totals
    profile.hour_minutes = evidence.hour_minutes
    profile.hour_score_sums = evidence.hour_score_sums
    profile.hour_score_counts = evidence.hour_score_counts
    profile.observations += 1
    if evidence.day is not None:
        profile.evidence_at = datetime.datetime.fromtimestamp(
            evidence.day * SECONDS_PER_DAY, tz=datetime.UTC
        )
    if not profile._state.adding:
        profile.save(update_fields=_PROFILE_FIELDS)
        return
    LearnerProfile.objects.bulk_create(
        [profile], update_conflicts=True, unique_fields=["user"], update_fields=_PROFILE_FIELDS
    )


_PROFILE_FIELDS = [
    "style_weights",
    "style_counts",
    "style_totals",
    "hour_minutes",
    "hour_score_sums",
    "hour_score_counts",
    "observations",
    "evidence_at",
    "updated_at",
]


def learning_pattern_update(
    *,
    user: User,
    activity_type: str,
    content_type: str,
    duration_minutes: int,
    score: float | None = None,
    subject_id: int | None = None,
) -> None:
    """`POST update_pattern/`: the learner reports an activity that just ended. A subject must
    be one they can see (404 otherwise). `activity_type` is validated and not weighted: the
    format is what the profile is about."""
    ActivityType(activity_type)
    if subject_id is not None:
        subject_get(user=user, subject_id=subject_id)
    observation = observation_at(
        user=user,
        at=timezone.now(),
        minutes=duration_minutes,
        content_type=content_type,
        score_percent=score,
    )
    profile_observe(user_id=user.pk, observation=observation)


def learning_session_record(
    *,
    user: User,
    subject_id: int | None,
    started_at: datetime.datetime,
    duration_minutes: float,
    focus_score: float,
    content_type: str | None = None,
    session_id: str | int | None = None,
    counts_time: bool = False,
) -> bool:
    """For the realtime app when a tracked learning session ends: its focus score (0-100) as
    the outcome at its start hour, and its format when known. Its minutes weigh the format; they
    are added to the study hours only with `counts_time` (the realtime app logs a session's
    time as study time, whose StudyTimeLogged event adds it). With `session_id` it is
    idempotent (call it again and nothing changes). Call it after the session is saved, e.g.
    through `learning_session_record_on_commit`. Returns whether it was applied. `subject_id`
    is accepted for the callers' convenience; the profile is not per subject."""
    del subject_id
    observation = observation_at(
        user=user,
        at=started_at,
        minutes=min(max(duration_minutes, 0.0), MAX_ACTIVITY_MINUTES),
        content_type=content_type,
        score_percent=focus_score,
        counts_time=counts_time,
    )
    key = None if session_id is None else f"session:{session_id}"
    return profile_observe(user_id=user.pk, observation=observation, key=key)


def learning_session_record_on_commit(
    *,
    user: User,
    session_id: str | int,
    subject_id: int | None,
    started_at: datetime.datetime,
    duration_minutes: float,
    focus_score: float,
    content_type: str | None = None,
) -> None:
    """`learning_session_record` through Celery once the caller's transaction commits: what
    the realtime app calls when it ends a session."""
    from ..tasks import record_learning_session

    user_id, key, moment = user.pk, str(session_id), started_at.isoformat()
    minutes, focus = float(duration_minutes), float(focus_score)
    transaction.on_commit(
        lambda: record_learning_session.delay(
            user_id, key, subject_id, moment, minutes, focus, content_type
        )
    )


def learning_session_record_by_ids(
    *,
    user_id: int,
    session_id: str,
    subject_id: int | None,
    started_at: str,
    duration_minutes: float,
    focus_score: float,
    content_type: str | None = None,
) -> bool:
    """The task's side of `learning_session_record_on_commit`: plain values in, idempotent."""
    user = user_get_active(user_id=user_id)
    if user is None:
        return False
    return learning_session_record(
        user=user,
        subject_id=subject_id,
        started_at=datetime.datetime.fromisoformat(started_at),
        duration_minutes=duration_minutes,
        focus_score=focus_score,
        content_type=content_type,
        session_id=session_id,
    )
