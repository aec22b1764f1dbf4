"""The study section of a learner's data export (`accounts.data_export`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from ..models import StudyGoal, StudyLog, StudyProgress, StudySettings, StudySummary, Subject


def study_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """Subjects the learner created, their summaries (with the material they sent), progress
    per subject, every logged stretch of study, goals and settings. One query per table."""
    subjects = Subject.objects.filter(created_by_id=user_id).order_by("created_at", "id")
    summaries = StudySummary.objects.filter(user_id=user_id).order_by("created_at", "id")
    progress = StudyProgress.objects.filter(user_id=user_id).order_by("subject__name", "id")
    logs = StudyLog.objects.filter(user_id=user_id).order_by("studied_at", "id")
    goals = StudyGoal.objects.filter(user_id=user_id).order_by("created_at", "id")
    return {
        "subjects": list(
            subjects.values(
                "id",
                "name",
                "description",
                "category",
                "difficulty_level",
                "is_public",
                "tags",
                "created_at",
                "updated_at",
            )
        ),
        "summaries": list(
            summaries.values(
                "id",
                "subject_id",
                "title",
                "content",
                "summary",
                "summary_type",
                "status",
                "provider",
                "model",
                "tokens_used",
                "created_at",
                "completed_at",
            )
        ),
        "progress": list(
            progress.values(
                "subject_id",
                "total_study_minutes",
                "sessions_count",
                "completion_percentage",
                "last_studied_at",
                "last_study_date",
                "streak_days",
                "longest_streak_days",
                "created_at",
                "updated_at",
                subject_name=F("subject__name"),
            )
        ),
        "study_logs": list(
            logs.values(
                "id",
                "subject_id",
                "minutes",
                "topics_covered",
                "studied_at",
                "local_date",
                subject_name=F("subject__name"),
            )
        ),
        "goals": list(
            goals.values(
                "id",
                "subject_id",
                "title",
                "target_minutes",
                "target_date",
                "status",
                "logged_minutes",
                "created_at",
                "completed_at",
            )
        ),
        "settings": list(
            StudySettings.objects.filter(user_id=user_id).values(
                "daily_goal_minutes",
                "preferred_difficulty",
                "preferred_ai_provider",
                "reminder_time",
                "pomodoro_minutes",
                "desired_retention",
                "new_cards_per_day",
                "updated_at",
            )
        ),
    }
