"""The success predictor behind adaptive quiz attempts (installed into `quiz.adaptive`)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from quiz.services import Candidate

from .. import knowledge
from ..models import ItemDifficulty, LearnerAbility, LearnerSkillState
from ..models.knowledge import knowledge_day
from .knowledge import TARGET_BAND, answer_skills


def predict_success(user_id: int, candidates: Sequence[Candidate]) -> list[float]:
    """P(correct) of the learner on each candidate question, with the learned difficulty of
    the question (its authored level until somebody answered it). Three queries."""
    learners = _learners(user_id, {c.subject_id for c in candidates})
    skills_of = [answer_skills(list(c.topics), c.subject_name) for c in candidates]
    names = {skill for skills in skills_of for skill in skills}
    states = {
        row.skill: row.state()
        for row in LearnerSkillState.objects.filter(user_id=user_id, skill__in=names)
    }
    items = _items([c.question_id for c in candidates])
    now = knowledge_day(timezone.now())
    return [
        knowledge.predict(
            learners.get(candidate.subject_id, knowledge.Learner()),
            [states.get(skill, knowledge.SkillState()) for skill in skills],
            items.get(candidate.question_id) or knowledge.new_item(candidate.difficulty),
            now,
        )
        for candidate, skills in zip(candidates, skills_of, strict=True)
    ]


def _learners(user_id: int, subject_ids: set[int | None]) -> dict[int | None, knowledge.Learner]:
    """The learner's ability per subject (None: quizzes without a subject), as the update
    keeps it (`services.knowledge`)."""
    ids = [pk for pk in subject_ids if pk is not None]
    wanted = Q(subject_id__in=ids) | (Q(subject__isnull=True) if None in subject_ids else Q())
    if not ids and None not in subject_ids:
        return {}
    return {
        row.subject_id: row.state()
        for row in LearnerAbility.objects.filter(wanted, user_id=user_id)
    }


def _items(question_ids: list[int]) -> dict[int, knowledge.Item]:
    rows = ItemDifficulty.objects.filter(question_id__in=question_ids)
    return {row.question_id: row.state() for row in rows}


class LearnerModelPredictor:
    """The learner model as quiz's `SuccessPredictor` port (provided in
    `PersonalizationConfig.ready`)."""

    band = TARGET_BAND

    def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]:
        return predict_success(user_id, candidates)

    def observations(self, user_id: int, subject_id: int | None) -> int:
        """The answers the learner's ability in the subject was learned from."""
        in_subject = Q(subject_id=subject_id) if subject_id else Q(subject__isnull=True)
        rows = LearnerAbility.objects.filter(in_subject, user_id=user_id)
        return rows.values_list("n", flat=True).first() or 0
