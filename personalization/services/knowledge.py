"""Every write of the personalization domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from .. import knowledge
from ..caching import personalization_invalidate_on_commit
from ..models import ItemDifficulty, LearnerAbility, LearnerSkillState, ProcessedAnswer
from ..models.knowledge import knowledge_day
from ..selectors.knowledge import GradedAnswer, graded_answer_get
from .reviews import review_cards_from_answers

_ABILITY_FIELDS = ["ability", "n", "recent", "last", "surprise", "wins", "fails", "updated_at"]
_SKILL_FIELDS = [
    "ability",
    "n_observations",
    "recent",
    "wins",
    "fails",
    "last_practiced_at",
    "updated_at",
]
_ITEM_FIELDS = ["difficulty", "n", "gains", "updated_at"]

M = TypeVar("M", bound=models.Model)


def knowledge_update_from_answer(*, answer_id: int) -> bool:
    """Folds one graded answer into the learner's and the question's state, exactly once.
    Returns whether this call applied the answer (see `knowledge_update_from_answers`)."""
    answer = graded_answer_get(answer_id=answer_id)
    if answer is None:
        return False
    return knowledge_update_from_answers([answer]) == 1


def knowledge_update_from_answers(answers: Sequence[GradedAnswer]) -> int:
    """Folds graded answers, in order, into their learners' and questions' state, each once.

    The answers are claimed first (one INSERT of ProcessedAnswer rows that skips those already
    there and returns the new ones), and the claims commit with the state change, so a
    redelivered event, a concurrent duplicate (it waits on the unique index) or a regrade
    changes nothing twice. Then one locking read and one upsert per table: rows are locked in a
    fixed order (abilities, skills by name, items by question) to avoid deadlocks. A row that
    did not exist at the read is inserted by the upsert; if another transaction created it in
    between, the upsert keeps this one's values (one answer's step lost, on a new row only).
    Each answer is also a review of the spaced-review cards it touches, and a wrong one without
    a card becomes one (`review_cards_from_answers`). Joins the
    caller's transaction (an outbox delivery) with no savepoint of its own."""
    if not answers:
        return 0
    with transaction.atomic(savepoint=False):
        claimed = _claim([answer.answer_id for answer in answers])
        fresh = [answer for answer in answers if answer.answer_id in claimed]
        if not fresh:
            return 0
        _apply(fresh)
        review_cards_from_answers(fresh)
        for user_id in sorted({answer.user_id for answer in fresh}):
            personalization_invalidate_on_commit(user_id)
    return len(fresh)


def _claim(answer_ids: list[int]) -> set[int]:
    """The answers this transaction claimed: one statement, whatever their number."""
    ids = sorted(set(answer_ids))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(ProcessedAnswer._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (answer_id, processed_at) VALUES {rows}"  # noqa: S608
            " ON CONFLICT (answer_id) DO NOTHING RETURNING answer_id",
            [value for answer_id in ids for value in (answer_id, now)],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _apply(answers: Sequence[GradedAnswer]) -> None:
    users = sorted({answer.user_id for answer in answers})
    subjects = {answer.subject_id for answer in answers}
    in_subjects = Q(subject_id__in=[s for s in subjects if s is not None])
    if None in subjects:
        in_subjects |= Q(subject__isnull=True)
    abilities = {
        (row.user_id, row.subject_id): row
        for row in LearnerAbility.objects.select_for_update()
        .filter(in_subjects, user_id__in=users)
        .order_by("user_id", "subject_id")
    }
    skill_names = sorted({skill for answer in answers for skill in answer.skills})
    states = {
        (row.user_id, row.skill): row
        for row in LearnerSkillState.objects.select_for_update()
        .filter(user_id__in=users, skill__in=skill_names)
        .order_by("user_id", "skill")
    }
    questions = sorted({answer.question_id for answer in answers})
    items = {
        row.question_id: row
        for row in ItemDifficulty.objects.select_for_update()
        .filter(question_id__in=questions)
        .order_by("question_id")
    }
    touched_abilities: dict[tuple[int, int | None], LearnerAbility] = {}
    touched_states: dict[tuple[int, str], LearnerSkillState] = {}
    touched_items: dict[int, ItemDifficulty] = {}
    for answer in answers:
        key = (answer.user_id, answer.subject_id)
        ability = abilities.get(key) or LearnerAbility(
            user_id=answer.user_id, subject_id=answer.subject_id
        )
        abilities[key] = touched_abilities[key] = ability
        rows = []
        for skill in answer.skills:
            row = states.get((answer.user_id, skill)) or LearnerSkillState(
                user_id=answer.user_id, skill=skill
            )
            states[(answer.user_id, skill)] = touched_states[(answer.user_id, skill)] = row
            rows.append(row)
        item_row = items.get(answer.question_id) or _new_item_row(answer)
        items[answer.question_id] = touched_items[answer.question_id] = item_row
        _update(ability, rows, item_row, answer)
    for overall in touched_abilities.values():
        if overall.subject_id is not None:
            continue
        # The overall row's uniqueness is a partial index, which ON CONFLICT cannot name.
        if overall._state.adding:
            overall.save()
        else:
            overall.save(update_fields=_ABILITY_FIELDS)
    _upsert(
        LearnerAbility,
        (row for row in touched_abilities.values() if row.subject_id is not None),
        ["user", "subject"],
        _ABILITY_FIELDS,
    )
    _upsert(LearnerSkillState, touched_states.values(), ["user", "skill"], _SKILL_FIELDS)
    _upsert(ItemDifficulty, touched_items.values(), ["question"], _ITEM_FIELDS)


def _new_item_row(answer: GradedAnswer) -> ItemDifficulty:
    """A question nobody answered yet: its difficulty starts at the authored level."""
    start = knowledge.new_item(answer.authored_difficulty)
    return ItemDifficulty(question_id=answer.question_id, difficulty=start.difficulty)


def _update(
    ability: LearnerAbility,
    states: list[LearnerSkillState],
    item_row: ItemDifficulty,
    answer: GradedAnswer,
) -> None:
    learner, skills, item = ability.state(), [row.state() for row in states], item_row.state()
    now = knowledge_day(answer.answered_at or timezone.now())
    knowledge.update(learner, skills, item, answer.correct, now=now)
    ability.keep(learner)
    for row, skill in zip(states, skills, strict=True):
        row.keep(skill)
    item_row.keep(item)


def _upsert(model: type[M], rows: Iterable[M], unique: list[str], fields: list[str]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for new and existing rows alike (their ids are left
    out, so they go in one statement; the unique fields find the existing ones)."""
    batch = list(rows)
    if not batch:
        return
    for row in batch:
        row.pk = None
    model._default_manager.bulk_create(
        batch, update_conflicts=True, unique_fields=unique, update_fields=fields
    )
