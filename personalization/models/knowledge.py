"""Persisted knowledge state: the numbers of `personalization.knowledge`, one row per entity."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from .. import knowledge

SECONDS_PER_DAY = 86_400.0


def knowledge_day(moment: datetime.datetime | None) -> float | None:
    """A moment as the knowledge model counts time: days since the Unix epoch."""
    return None if moment is None else moment.timestamp() / SECONDS_PER_DAY


def moment_of_day(day: float | None) -> datetime.datetime | None:
    return (
        None
        if day is None
        else datetime.datetime.fromtimestamp(day * SECONDS_PER_DAY, datetime.UTC)
    )


class LearnerAbility(models.Model):
    """A learner's ability overall (`subject` null) or within one subject."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="abilities"
    )
    subject = models.ForeignKey(
        "study.Subject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ability = models.FloatField(default=0.0)
    n = models.PositiveIntegerField(default=0)
    recent = models.FloatField(default=0.0)
    last = models.FloatField(default=0.0)
    # The latest prediction errors' moving mean, and the decayed counts of correct and wrong
    # answers (`knowledge.Learner`).
    surprise = models.FloatField(default=0.0)
    wins = models.FloatField(default=0.0)
    fails = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject"], name="ability_one_per_user_subject"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(subject__isnull=True), name="ability_one_overall"
            ),
        ]

    def __str__(self) -> str:
        return f"ability {self.ability:.2f} of {self.user_id} in {self.subject_id}"

    def state(self) -> knowledge.Learner:
        return knowledge.Learner(
            self.ability, self.n, self.recent, self.last, self.surprise, self.wins, self.fails
        )

    def keep(self, learner: knowledge.Learner) -> None:
        self.ability, self.n, self.recent, self.last = (
            learner.ability,
            learner.n,
            learner.recent,
            learner.last,
        )
        self.surprise, self.wins, self.fails = learner.surprise, learner.wins, learner.fails


class LearnerSkillState(models.Model):
    """A learner on one topic/skill (a question topic tag, or the subject name)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_states"
    )
    skill = models.CharField(max_length=200)
    ability = models.FloatField(default=0.0)
    n_observations = models.PositiveIntegerField(default=0)
    recent = models.FloatField(default=0.0)
    wins = models.FloatField(default=0.0)
    fails = models.FloatField(default=0.0)
    # When the learner last answered on the skill: its evidence fades with the time since.
    last_practiced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="skill_state_one_per_skill"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} of {self.user_id}: {self.ability:.2f}"

    def state(self) -> knowledge.SkillState:
        return knowledge.SkillState(
            self.ability,
            self.n_observations,
            self.recent,
            self.wins,
            self.fails,
            knowledge_day(self.last_practiced_at),
        )

    def keep(self, skill: knowledge.SkillState) -> None:
        self.ability, self.n_observations, self.recent = skill.ability, skill.n, skill.recent
        self.wins, self.fails = skill.wins, skill.fails
        self.last_practiced_at = moment_of_day(skill.last_practiced)


class ItemDifficulty(models.Model):
    """A question's difficulty learned from every learner's answers."""

    question = models.OneToOneField(
        "quiz.Question", on_delete=models.CASCADE, related_name="learned_difficulty"
    )
    difficulty = models.FloatField(default=0.0)
    n = models.PositiveIntegerField(default=0)
    # The item's learned weights of practice and momentum (`knowledge.Item.gains`).
    gains = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"difficulty {self.difficulty:.2f} of question {self.question_id}"

    def state(self) -> knowledge.Item:
        return knowledge.Item(self.difficulty, self.n, knowledge.item_gains(self.gains))

    def keep(self, item: knowledge.Item) -> None:
        self.difficulty, self.n, self.gains = item.difficulty, item.n, item.gains


class ProcessedAnswer(models.Model):
    """Claims an answer for the knowledge update: a redelivered task finds it and stops."""

    answer_id = models.BigIntegerField(unique=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"processed answer {self.answer_id}"
