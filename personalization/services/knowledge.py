"""Every write of the personalization domain."""

from __future__ import annotations

from django.db import transaction

from .. import knowledge
from ..caching import personalization_invalidate_on_commit
from ..models import ItemDifficulty, LearnerAbility, LearnerSkillState, ProcessedAnswer
from ..selectors.knowledge import GradedAnswer, graded_answer_get
from .reviews import review_card_from_wrong_answer


def knowledge_update_from_answer(*, answer_id: int) -> bool:
    """Folds one graded answer into the learner's and the question's state, exactly once.

    The ProcessedAnswer claim commits with the state change, so a redelivered task (or a
    concurrent duplicate, which waits on the unique index) finds it and changes nothing.
    Rows are locked in a fixed order (ability, skills by name, item) to avoid deadlocks.
    A wrong answer also becomes a spaced-review card (or, if it has one, a lapse of it), under
    the same claim. Returns whether this call applied the answer."""
    answer = graded_answer_get(answer_id=answer_id)
    if answer is None:
        return False
    with transaction.atomic():
        _, claimed = ProcessedAnswer.objects.get_or_create(answer_id=answer_id)
        if not claimed:
            return False
        _apply(answer)
        if not answer.correct:
            review_card_from_wrong_answer(
                user_id=answer.user_id, question_id=answer.question_id, subject_id=answer.subject_id
            )
        personalization_invalidate_on_commit(answer.user_id)
    return True


def _apply(answer: GradedAnswer) -> None:
    ability, _ = LearnerAbility.objects.select_for_update().get_or_create(
        user_id=answer.user_id, subject_id=answer.subject_id
    )
    states = [
        LearnerSkillState.objects.select_for_update().get_or_create(
            user_id=answer.user_id, skill=skill
        )[0]
        for skill in answer.skills
    ]
    start = knowledge.AUTHORED_DIFFICULTY.get(answer.authored_difficulty, 0.0)
    item_row, _ = ItemDifficulty.objects.select_for_update().get_or_create(
        question_id=answer.question_id, defaults={"difficulty": start}
    )
    learner = knowledge.Learner(ability.ability, ability.n, ability.recent, ability.last)
    skills = [knowledge.SkillState(s.ability, s.n_observations, s.recent) for s in states]
    gains = [float(g) for g in item_row.gains][: knowledge.N_GAINS]
    item = knowledge.Item(
        item_row.difficulty, item_row.n, gains + [0.0] * (knowledge.N_GAINS - len(gains))
    )
    knowledge.update(learner, skills, item, answer.correct)
    ability.ability, ability.n = learner.ability, learner.n
    ability.recent, ability.last = learner.recent, learner.last
    ability.save(update_fields=["ability", "n", "recent", "last", "updated_at"])
    for row, skill in zip(states, skills, strict=True):
        row.ability, row.n_observations, row.recent = skill.ability, skill.n, skill.recent
        row.save(update_fields=["ability", "n_observations", "recent", "updated_at"])
    item_row.difficulty, item_row.n, item_row.gains = item.difficulty, item.n, item.gains
    item_row.save(update_fields=["difficulty", "n", "gains", "updated_at"])
