"""Reads of the learner profile: content-format preference, strengths and weaknesses, the best
study hours and streak risk, and the detailed analysis behind them.

The content-format ("learning style") part is a preference profile built from what the learner
does (see `personalization.learning_style`); it does not claim that matching a format improves
learning.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from study.selectors import current_streak, local_date, progress_list, user_timezone

from .. import knowledge, learning_style
from ..caching import LAYOUT, personalization_user_tag, profile_cache
from ..models import LearnerAbility, LearnerProfile, LearnerSkillState
from ..models.knowledge import knowledge_day
from ..services.profile import SECONDS_PER_DAY, profile_evidence
from .prediction import goal_readiness_list, learner_state

if TYPE_CHECKING:
    from accounts.models import User

# A topic needs this many graded answers before it is called a strength. A weakness is one from
# its first answer, as the weak-topic recommendations find them (bench/reco_eval.py: waiting for
# three answers missed the topic a learner failed on next more often).
MIN_TOPIC_ANSWERS = 3
# Predicted success on a medium question of the topic at or above which it is a strength, and
# at or below which it is a weakness: a clear margin either side of a coin flip.
STRONG_MASTERY = 0.6
WEAK_MASTERY = 0.4
TOPIC_LIMIT = 5
ANALYSIS_SKILL_LIMIT = 50
# Without an observed study window, the day's study counts as late after this local hour.
LATE_HOUR = 20
# From this local hour on, a streak not extended today is at `high` risk, whatever the window.
LAST_CALL_HOUR = 23


@dataclass(frozen=True)
class TopicMastery:
    topic: str
    mastery: float
    confidence: float
    answers: int


@dataclass(frozen=True)
class StudyTime:
    start: str
    end: str
    start_hour: int
    end_hour: int
    timezone: str
    confidence: float
    display: str


@dataclass(frozen=True)
class LearnerProfileView:
    learning_style: str
    style_scores: dict[str, float]
    confidence: float
    strengths: list[TopicMastery]
    weaknesses: list[TopicMastery]
    optimal_study_time: StudyTime | None
    updated_at: datetime.datetime | None


def learner_profile_get(*, user: User, fresh: bool = False) -> LearnerProfileView:
    """The learner's profile, cached until their model changes (tag per user). `fresh` reads
    past the cache: for the answer to a write whose invalidation waits for the commit."""
    if fresh:
        return _profile(user)
    # The language is part of the key: the study-time label is translated.
    key = profile_cache.key("profile", user=user, layout=LAYOUT, lang=get_language())
    return profile_cache.get_or_set(
        key, lambda: _profile(user), tags=[personalization_user_tag(user.pk)]
    )


def _evidence(row: LearnerProfile | None, now: datetime.datetime) -> learning_style.Evidence:
    if row is None:
        return learning_style.Evidence()
    return profile_evidence(row).decayed_to(now.timestamp() / SECONDS_PER_DAY)


def _profile(user: User) -> LearnerProfileView:
    row = LearnerProfile.objects.filter(user=user).first()
    evidence = _evidence(row, timezone.now())
    style = learning_style.style_profile(evidence.weights, evidence.counts)
    strengths, weaknesses = topic_strengths(user=user)
    updated = [d for d in (row.updated_at if row else None, _skills_updated(user)) if d]
    return LearnerProfileView(
        learning_style=style.learning_style,
        style_scores={s: round(v, 4) for s, v in style.style_scores.items()},
        confidence=round(style.confidence, 4),
        strengths=strengths,
        weaknesses=weaknesses,
        optimal_study_time=study_time(evidence, user_timezone(user)),
        updated_at=max(updated) if updated else None,
    )


def _skills_updated(user: User) -> datetime.datetime | None:
    latest = LearnerSkillState.objects.filter(user=user).order_by("-updated_at").first()
    return latest.updated_at if latest else None


def _baseline(abilities: list[LearnerAbility]) -> float:
    """The learner's answer-weighted ability over their subjects, without the momentum of their
    latest answers (those were on other topics)."""
    answers = sum(a.n for a in abilities)
    if not answers:
        return 0.0
    return sum(a.n * a.ability for a in abilities) / answers


def topic_masteries(*, user: User, limit: int | None = None) -> list[TopicMastery]:
    """Each observed topic with the predicted success on a medium question of it, the most
    observed first: `knowledge.topic_success`, which the weak-topic recommendations rank by,
    with the learner's answer-weighted ability over their subjects. Two queries."""
    abilities = list(LearnerAbility.objects.filter(user=user, n__gt=0))
    base = _baseline(abilities)
    states = LearnerSkillState.objects.filter(user=user).order_by("-n_observations", "skill")
    rows = []
    now = knowledge_day(timezone.now())
    for state in states[:limit] if limit else states:
        mastery = knowledge.topic_success(knowledge.Learner(base), state.state(), now)
        rows.append(
            TopicMastery(
                topic=state.skill,
                mastery=round(mastery, 4),
                confidence=round(knowledge.confidence(state.n_observations), 4),
                answers=state.n_observations,
            )
        )
    return rows


def topic_strengths(*, user: User) -> tuple[list[TopicMastery], list[TopicMastery]]:
    masteries = topic_masteries(user=user)
    strong = sorted(
        (t for t in masteries if t.answers >= MIN_TOPIC_ANSWERS and t.mastery >= STRONG_MASTERY),
        key=lambda t: (-t.mastery, t.topic),
    )
    weak = sorted(
        (t for t in masteries if t.mastery <= WEAK_MASTERY), key=lambda t: (t.mastery, t.topic)
    )
    return strong[:TOPIC_LIMIT], weak[:TOPIC_LIMIT]


def study_time(evidence: learning_style.Evidence, zone: ZoneInfo) -> StudyTime | None:
    window = learning_style.optimal_window(
        evidence.hour_minutes, evidence.hour_score_sums, evidence.hour_score_counts
    )
    if window is None:
        return None
    start, end = f"{window.start_hour:02d}:00", f"{window.end_hour:02d}:00"
    return StudyTime(
        start=start,
        end=end,
        start_hour=window.start_hour,
        end_hour=window.end_hour,
        timezone=str(zone),
        confidence=round(window.confidence, 4),
        display=_("%(start)s-%(end)s (%(zone)s)") % {"start": start, "end": end, "zone": zone},
    )


@dataclass(frozen=True)
class StreakRisk:
    level: str  # none | low | medium | high
    current_streak_days: int
    studied_today: bool
    usual_time_passed: bool
    reason: str


def streak_risk(
    *, user: User, usual: learning_style.StudyWindow | None, now: datetime.datetime | None = None
) -> StreakRisk:
    """How likely the learner's study streak breaks today, in their time zone: `none` without a
    streak, `low` when they studied today, `high` when they have not and the hours they usually
    study (`usual`; without it, LATE_HOUR) have passed, `medium` before then."""
    zone = user_timezone(user)
    local_now = (now or timezone.now()).astimezone(zone)
    today = local_now.date()
    progress = list(progress_list(user=user))
    streak = max(
        (current_streak(p.streak_days, p.last_study_date, today) for p in progress), default=0
    )
    studied_today = any(p.last_study_date == today for p in progress)
    passed = _usual_time_passed(local_now.hour, usual)
    level = _risk_level(streak, studied_today, passed)
    return StreakRisk(level, streak, studied_today, passed, _risk_reason(level, streak))


def streak_risk_get(*, user: User, now: datetime.datetime | None = None) -> StreakRisk:
    """`streak_risk` against the hours the learner usually studies, read from their profile
    (the rule the profile analysis shows and the streak-at-risk notification follows)."""
    now = now or timezone.now()
    row = LearnerProfile.objects.filter(user=user).first()
    usual = learning_style.usual_window(_evidence(row, now).hour_minutes)
    return streak_risk(user=user, usual=usual, now=now)


def _usual_time_passed(hour: int, window: learning_style.StudyWindow | None) -> bool:
    if window is None:
        return hour >= LATE_HOUR
    end = window.end_hour if window.end_hour > window.start_hour else 24
    # A window reaching midnight would never have passed today: warn an hour before the day ends.
    return hour >= min(end, LAST_CALL_HOUR)


def _risk_level(streak: int, studied_today: bool, passed: bool) -> str:
    if streak == 0:
        return "none"
    if studied_today:
        return "low"
    return "high" if passed else "medium"


def _risk_reason(level: str, days: int) -> str:
    if level == "none":
        return _("No study streak is running; any study today starts one.")
    if level == "low":
        return ngettext(
            "You studied today: your %(days)d-day streak is safe.",
            "You studied today: your %(days)d-day streak is safe.",
            days,
        ) % {"days": days}
    if level == "medium":
        return _("You have not studied today yet; your usual study time is still ahead.")
    return ngettext(
        "You have not studied today and your usual study time has passed: your %(days)d-day "
        "streak ends at midnight.",
        "You have not studied today and your usual study time has passed: your %(days)d-day "
        "streak ends at midnight.",
        days,
    ) % {"days": days}


def _subject_knowledge(user: User) -> list[dict[str, Any]]:
    rows = LearnerAbility.objects.filter(user=user, subject__isnull=False).select_related("subject")
    medium = knowledge.new_item("medium")
    return [
        {
            "subject": {"id": row.subject_id, "name": row.subject.name if row.subject else ""},
            "ability": round(knowledge.ability_logit(learner_state(row), []), 4),
            "predicted_success": round(knowledge.predict(learner_state(row), [], medium), 4),
            "confidence": round(knowledge.confidence(row.n), 4),
            "answers": row.n,
        }
        for row in rows.order_by("-n", "subject__name")
    ]


def analysis_details_get(*, user: User) -> dict[str, Any]:
    """Everything behind the profile, computed now (not cached: streak risk moves by the hour)."""
    now = timezone.now()
    zone = user_timezone(user)
    row = LearnerProfile.objects.filter(user=user).first()
    evidence = _evidence(row, now)
    style = learning_style.style_profile(evidence.weights, evidence.counts)
    window = study_time(evidence, zone)
    usual = learning_style.usual_window(evidence.hour_minutes)
    strengths, weaknesses = topic_strengths(user=user)
    return {
        "learning_style": {
            "learning_style": style.learning_style,
            "scores": {s: round(v, 4) for s, v in style.style_scores.items()},
            "confidence": round(style.confidence, 4),
            "evidence": {
                s: {
                    "recent_observations": round(evidence.counts.get(s, 0.0), 2),
                    "total_observations": evidence.totals.get(s, 0),
                }
                for s in learning_style.STYLES
            },
            "half_life_days": learning_style.HALF_LIFE_DAYS,
        },
        "knowledge": {
            "subjects": _subject_knowledge(user),
            "skills": [asdict(t) for t in topic_masteries(user=user, limit=ANALYSIS_SKILL_LIMIT)],
        },
        "strengths": [asdict(t) for t in strengths],
        "weaknesses": [asdict(t) for t in weaknesses],
        "predictions": {
            "goals": [
                asdict(g) for g in goal_readiness_list(user=user, today=local_date(now, zone))
            ]
        },
        "optimal_study_time": asdict(window) if window else None,
        "streak_risk": asdict(streak_risk(user=user, usual=usual, now=now)),
        "generated_at": now,
    }
