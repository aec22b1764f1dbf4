"""What the sources know about the learner, read once per computation (five queries)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from quiz.selectors import answer_subject_topics
from study.selectors import progress_list, subject_list, summary_list

from .. import knowledge
from ..models import LearnerAbility, LearnerSkillState
from ..selectors.knowledge import answer_skills

if TYPE_CHECKING:
    from accounts.models import User

# Fewer graded answers than this in a subject say too little to call the learner strong there.
MIN_EVIDENCE = 3


@dataclass
class LearnerContext:
    user: User
    now: datetime.datetime
    # The learner's ability per subject (None: quizzes without one), as the update keeps it.
    abilities: dict[int | None, knowledge.Learner]
    # Every topic/skill state of the learner (weak topics weigh the evidence themselves).
    skills: dict[str, knowledge.SkillState]
    # Skill -> the subjects (id -> name) of the questions the learner answered on it.
    skill_subjects: dict[str, dict[int | None, str | None]]
    study_minutes: dict[int, int]  # subject -> minutes logged
    started: set[int]  # subjects with progress, summaries or answers
    _names: dict[int, str | None] = field(default_factory=dict)

    def visible_names(self, subject_ids: set[int]) -> dict[int, str]:
        """Names of the subjects the learner may see among these; memoized, one query for the
        ones not asked about before. Another learner's private subject is simply absent."""
        missing = subject_ids - set(self._names)
        if missing:
            rows = subject_list(user=self.user).filter(pk__in=missing)
            found = dict(rows.values_list("id", "name"))
            self._names.update({pk: found.get(pk) for pk in missing})
        return {pk: name for pk in subject_ids if (name := self._names.get(pk)) is not None}


def learner_context(user: User) -> LearnerContext:
    abilities: dict[int | None, knowledge.Learner] = {
        row.subject_id: row.state() for row in LearnerAbility.objects.filter(user=user)
    }
    skills = {row.skill: row.state() for row in LearnerSkillState.objects.filter(user=user)}
    minutes = dict(progress_list(user=user).values_list("subject_id", "total_study_minutes"))
    summarized = set(summary_list(user=user).values_list("subject_id", flat=True))
    answered = {pk for pk in abilities if pk is not None}
    return LearnerContext(
        user=user,
        now=timezone.now(),
        abilities=abilities,
        skills=skills,
        skill_subjects=_skill_subjects(user) if skills else {},
        study_minutes=minutes,
        started=set(minutes) | summarized | answered,
    )


def _skill_subjects(user: User) -> dict[str, dict[int | None, str | None]]:
    """Which subjects each skill was practised in: the distinct (subject, topics) pairs of the
    learner's graded answers, named as the knowledge update names skills."""
    found: dict[str, dict[int | None, str | None]] = defaultdict(dict)
    for subject_id, subject_name, topics in answer_subject_topics(user=user):
        for skill in answer_skills(topics, subject_name):
            found[skill][subject_id] = subject_name
    return dict(found)
