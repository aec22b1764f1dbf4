"""Persisted knowledge state: the numbers of `personalization.knowledge`, one row per entity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


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


class LearnerSkillState(models.Model):
    """A learner on one topic/skill (a question topic tag, or the subject name)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_states"
    )
    skill = models.CharField(max_length=200)
    ability = models.FloatField(default=0.0)
    n_observations = models.PositiveIntegerField(default=0)
    recent = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="skill_state_one_per_skill"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} of {self.user_id}: {self.ability:.2f}"


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


class ProcessedAnswer(models.Model):
    """Claims an answer for the knowledge update: a redelivered task finds it and stops."""

    answer_id = models.BigIntegerField(unique=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"processed answer {self.answer_id}"
