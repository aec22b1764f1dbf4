"""Sources about what the learner already does: due reviews, weakest topics, goals behind pace.

Scores (in [0, 1]) put due reviews first, then weak topics, then goals behind pace, and each
grows with how pressing it is:

- review: 0.75 + 0.25 * min(1, count / 20 + days overdue / 14);
- weak_topic: 0.55 + 0.2 * gap, where gap = (threshold - p) / threshold for the predicted
  success p on a medium question of the topic with the momentum read on the topic
  (`knowledge.topic_success`) and the bound it fell below (`weak_topic_ranking`): below every
  due review, and weak topics in the order of p;
- goal: 0.5 + 0.3 * deficit + 0.15 * urgency, where deficit is the minutes behind the pace as a
  share of the target and urgency = min(1, 3 / days left).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from quiz.selectors import quiz_newest_per_subject
from study.selectors import goal_active_list, local_date, user_timezone

from .. import knowledge
from ..models import ReviewCard
from ..models.knowledge import knowledge_day
from ..selectors.knowledge import TARGET_BAND
from .context import LearnerContext
from .types import Recommendation, RecommendationType

if TYPE_CHECKING:
    from study.models import StudyGoal

# Predicted success on a medium question below the target band's upper edge (or below the
# learner's mean over their topics): a weak topic, one not yet mastered beyond the band. Chosen
# on bench/reco_eval.py --validation among the band's floor, middle and top (`assist2009_pid`
# 0.330, 0.339, 0.347; DKVMN assist2009 0.323, 0.335, 0.347): the practice counts of the model
# raise a failing topic's prediction above the floor after a run of successes.
WEAK_BELOW = TARGET_BAND[1]
MAX_PER_SOURCE = 10
MAX_GOALS = 50
TOPICS_PER_SUBJECT = 2
# Quizzes read to find one per weak subject (newest first).
PRACTICE_QUIZ_ROWS = 200
# A goal is behind when the minutes logged trail the even pace by more than this share of its
# target (and at least GOAL_SLACK_MINUTES): a day's dip is not worth a nudge.
GOAL_SLACK_SHARE = 0.05
GOAL_SLACK_MINUTES = 5


def _percent(p: float) -> int:
    return round(100 * p)


# --- due reviews --------------------------------------------------------------------------------


def due_reviews(ctx: LearnerContext) -> list[Recommendation]:
    """Due review cards, one suggestion per subject. Two queries."""
    groups = list(
        ReviewCard.objects.filter(user=ctx.user, due__lte=ctx.now, suspended_at__isnull=True)
        .order_by()
        .values("subject_id")
        .annotate(count=Count("id"), oldest=Min("due"))
        .order_by("oldest")[:MAX_PER_SOURCE]
    )
    names = ctx.visible_names({g["subject_id"] for g in groups if g["subject_id"] is not None})
    return [_review(ctx, g["subject_id"], g["count"], g["oldest"], names) for g in groups]


def _review(
    ctx: LearnerContext,
    subject_id: int | None,
    count: int,
    oldest: datetime.datetime,
    names: dict[int, str],
) -> Recommendation:
    overdue_days = max(0.0, (ctx.now - oldest).total_seconds() / 86400)
    name = names.get(subject_id) if subject_id is not None else None
    if name is None:
        reason = ngettext("%(count)d review is due", "%(count)d reviews are due", count) % {
            "count": count
        }
    else:
        reason = ngettext(
            "%(count)d review is due in %(subject)s",
            "%(count)d reviews are due in %(subject)s",
            count,
        ) % {"count": count, "subject": name}
    return Recommendation(
        type=RecommendationType.REVIEW,
        key=f"review:{subject_id if name is not None else 'other'}",
        score=0.75 + 0.25 * min(1.0, count / 20 + overdue_days / 14),
        reason=reason,
        item={"due_count": count, "oldest_due": oldest.isoformat()},
        subject_id=subject_id if name is not None else None,
    )


# --- weakest topics -----------------------------------------------------------------------------


def weak_topics(ctx: LearnerContext) -> list[Recommendation]:
    """Topics (and subjects) where the learner's predicted success is below the target band,
    weakest first (`weak_topic_ranking`): per subject its weakest topic and the next weakest
    (ranked below it), each with a visible quiz of the subject to practise. Up to two queries
    (subject names, quizzes)."""
    now = knowledge_day(ctx.now)
    found = weak_topic_ranking(ctx.abilities, ctx.skills, ctx.skill_subjects, now)
    names = ctx.visible_names({w.subject_id for w in found if w.subject_id is not None})
    by_subject: dict[int | None, list[Recommendation]] = {}
    recommendations = []
    for weak in found:
        name = names.get(weak.subject_id) if weak.subject_id is not None else None
        earlier = by_subject.setdefault(weak.subject_id if name else None, [])
        if len(earlier) == TOPICS_PER_SUBJECT:
            continue
        reason = _weak_reason(weak, name, weakest=not earlier)
        if reason is None:
            continue  # the skill is the name of a subject the learner may not see
        recommendation = _weak_recommendation(weak, name, reason)
        if earlier:  # never above the subject's weakest topic
            score = min(recommendation.score, earlier[0].score - 0.01)
            recommendation = replace(recommendation, score=score)
        earlier.append(recommendation)
        recommendations.append(recommendation)
        if len(recommendations) == MAX_PER_SOURCE:
            break
    return _with_practice_quizzes(ctx, recommendations)


@dataclass(frozen=True)
class WeakTopic:
    subject_id: int | None
    subject_name: str | None  # as stored; maybe not visible to the learner
    skill: str
    p: float  # predicted success on a medium question of the topic (`knowledge.topic_success`)
    n: int
    # What p fell below: WEAK_BELOW, or the learner's mean over their topics of the subject.
    threshold: float = WEAK_BELOW

    @property
    def is_subject(self) -> bool:
        """Topic-less questions train a skill named after their subject."""
        return self.subject_name is not None and self.skill == self.subject_name[:200]


def weak_topic_ranking(
    abilities: Mapping[int | None, knowledge.Learner],
    skills: Mapping[str, knowledge.SkillState],
    skill_subjects: Mapping[str, Mapping[int | None, str | None]],
    now: float | None = None,
) -> list[WeakTopic]:
    """Every (topic, subject) pair the learner practised whose predicted success is below
    WEAK_BELOW or below the learner's mean over their practised topics of the subject, lowest
    first (ties by topic): `knowledge.topic_success` with the learner's state in
    the subject and on the topic, faded to `now` (days; None: as last practised). No query:
    bench/reco_eval.py replays public data through it.

    The second bound is for the model's practice counts: a learner's run of successes raises
    the predicted success on every topic, a failing one included, above the fixed band floor,
    and the fixed bound alone then listed nothing where the learner failed next more often
    (bench/reco_eval.py, `--validation`: `assist2009_pid` 0.30 where ranking every topic gave
    0.36; a bound at the success on an unpractised topic did no better).

    Every practised topic is a candidate, from its first answer: asking for three answers
    first, as the rule before this one did, missed the topic the learner failed on next more
    often (bench/reco_eval.py)."""
    scored: dict[int | None, list[WeakTopic]] = {}
    for skill, state in skills.items():
        for subject_id, subject_name in skill_subjects.get(skill, {}).items():
            learner = abilities.get(subject_id) or knowledge.Learner()
            p = knowledge.topic_success(learner, state, now)
            topic = WeakTopic(subject_id, subject_name, skill, p, state.n)
            scored.setdefault(subject_id, []).append(topic)
    found = []
    for topics in scored.values():
        threshold = max(WEAK_BELOW, sum(topic.p for topic in topics) / len(topics))
        found += [replace(topic, threshold=threshold) for topic in topics if topic.p < threshold]
    found.sort(key=lambda w: (w.p, w.skill))
    return found


def _weak_reason(weak: WeakTopic, name: str | None, *, weakest: bool) -> str | None:
    values = {"subject": name, "topic": weak.skill, "percent": _percent(weak.p)}
    if weak.is_subject:
        if name is None:
            return None
        return _("Your predicted success in %(subject)s is low (%(percent)d%%)") % values
    if name is None:
        if weakest:
            return _("Your weakest topic: %(topic)s (%(percent)d%% predicted)") % values
        return _("A weak topic: %(topic)s (%(percent)d%% predicted)") % values
    if weakest:
        return _("Your weakest topic in %(subject)s: %(topic)s (%(percent)d%% predicted)") % values
    return _("A weak topic in %(subject)s: %(topic)s (%(percent)d%% predicted)") % values


def _weak_recommendation(weak: WeakTopic, name: str | None, reason: str) -> Recommendation:
    subject_id = weak.subject_id if name is not None else None
    return Recommendation(
        type=RecommendationType.WEAK_TOPIC,
        key=f"topic:{subject_id}:{weak.skill}",
        score=0.55 + 0.2 * (weak.threshold - weak.p) / weak.threshold,
        reason=reason,
        item={"topic": weak.skill, "predicted_success": round(weak.p, 4), "answers": weak.n},
        subject_id=subject_id,
    )


def _with_practice_quizzes(
    ctx: LearnerContext, recommendations: list[Recommendation]
) -> list[Recommendation]:
    """Adds `item.quiz`: the newest quiz of the subject the learner may take (public or
    their own), or None."""
    subject_ids = {r.subject_id for r in recommendations if r.subject_id is not None}
    quizzes = (
        quiz_newest_per_subject(user=ctx.user, subject_ids=subject_ids, scanned=PRACTICE_QUIZ_ROWS)
        if subject_ids
        else {}
    )
    return [
        replace(r, item={**r.item, "quiz": quizzes.get(r.subject_id) if r.subject_id else None})
        for r in recommendations
    ]


# --- goals behind pace --------------------------------------------------------------------------


def goals_behind(ctx: LearnerContext) -> list[Recommendation]:
    """Active goals with a date still ahead whose logged minutes trail an even pace from the
    goal's creation to its date (in the learner's time zone). Three queries."""
    goals = list(goal_active_list(user=ctx.user).filter(target_date__isnull=False)[:MAX_GOALS])
    if not goals:
        return []
    zone = user_timezone(ctx.user)
    today = local_date(ctx.now, zone)
    names = ctx.visible_names({g.subject_id for g in goals if g.subject_id is not None})
    found = (_goal(goal, today, local_date(goal.created_at, zone), names) for goal in goals)
    return [r for r in found if r is not None][:MAX_PER_SOURCE]


def _goal(
    goal: StudyGoal, today: datetime.date, start: datetime.date, names: dict[int, str]
) -> Recommendation | None:
    assert goal.target_date is not None
    if today > goal.target_date or goal.logged_minutes >= goal.target_minutes:
        return None
    total_days = max(1, (goal.target_date - start).days + 1)
    elapsed = min(total_days, max(0, (today - start).days + 1))
    expected = goal.target_minutes * elapsed / total_days
    slack = max(GOAL_SLACK_MINUTES, GOAL_SLACK_SHARE * goal.target_minutes)
    if goal.logged_minutes >= expected - slack:
        return None
    days_left = (goal.target_date - today).days + 1  # today counts
    per_day = math.ceil((goal.target_minutes - goal.logged_minutes) / days_left)
    deficit = (expected - goal.logged_minutes) / goal.target_minutes
    name = names.get(goal.subject_id) if goal.subject_id is not None else None
    return Recommendation(
        type=RecommendationType.GOAL,
        key=f"goal:{goal.pk}",
        score=0.5 + 0.3 * min(1.0, deficit) + 0.15 * min(1.0, 3 / days_left),
        reason=_goal_reason(goal, days_left, per_day),
        item={
            "goal": {
                "id": goal.pk,
                "title": goal.title,
                "target_minutes": goal.target_minutes,
                "logged_minutes": goal.logged_minutes,
                "target_date": goal.target_date.isoformat(),
                "progress_percentage": goal.progress_percentage,
            },
            "minutes_per_day": per_day,
        },
        subject_id=goal.subject_id if name is not None else None,
    )


def _goal_reason(goal: StudyGoal, days_left: int, per_day: int) -> str:
    return ngettext(
        "Behind on your goal “%(title)s”: %(done)d of %(target)d minutes with %(days)d day "
        "left (about %(per_day)d minutes a day)",
        "Behind on your goal “%(title)s”: %(done)d of %(target)d minutes with %(days)d days "
        "left (about %(per_day)d minutes a day)",
        days_left,
    ) % {
        "title": goal.title,
        "done": goal.logged_minutes,
        "target": goal.target_minutes,
        "days": days_left,
        "per_day": per_day,
    }
