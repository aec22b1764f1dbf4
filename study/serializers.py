"""Input and output serializers of the study endpoints.

Subjects and progress are answered from plain rows (`selectors.subject_row`, `progress_row`,
cached); their output serializers here document those rows for the schema and a test keeps the
two in step.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.conf import settings
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models import (
    MAX_DESIRED_RETENTION,
    MAX_LOG_MINUTES,
    MAX_POMODORO,
    MIN_DESIRED_RETENTION,
    MIN_POMODORO,
    AIProviderChoice,
    DifficultyLevel,
    GoalStatus,
    StudyGoal,
    StudySettings,
    StudySummary,
    SummaryStatus,
    SummaryType,
)
from .services import CONTENT_MAX_CHARS, CONTENT_MIN_CHARS, MAX_TOPICS

MAX_GOAL_MINUTES = 1_000_000


def inline_choice_field(choices: type[TextChoices], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose schema enum drf-spectacular hashes by its values, not by its own
    choice id, so its enum post-processing sees a set of its own. Where one field name carries
    several choice sets in several components (`status` of summaries and goals) or a set
    repeats under another name (`preferred_difficulty`), component names stay deterministic and
    the schema check (`--fail-on-warn`) clean without settings-level ENUM_NAME_OVERRIDES."""
    schema = {"type": "string", "enum": list(choices.values)}
    field_class = extend_schema_field(schema)(
        type(f"{choices.__name__}Field", (serializers.ChoiceField,), {})
    )
    return cast(serializers.ChoiceField, field_class(choices=choices.choices, **kwargs))


def _tags_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, required=False
    )


# --- subjects -----------------------------------------------------------------------------------


class SubjectInputSerializer(StrictInputSerializer):
    """POST and PUT need `name`; PATCH validates with `partial=True`."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    category = serializers.CharField(max_length=100, allow_blank=True, required=False)
    difficulty_level = serializers.ChoiceField(choices=DifficultyLevel.choices, required=False)
    is_public = serializers.BooleanField(required=False)
    tags = _tags_field()


class SubjectListQuerySerializer(serializers.Serializer[Any]):
    category = serializers.CharField(max_length=100, required=False)
    difficulty_level = serializers.ChoiceField(choices=DifficultyLevel.choices, required=False)
    is_public = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SubjectOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    difficulty_level = serializers.ChoiceField(choices=DifficultyLevel.choices)
    is_public = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    created_by = serializers.IntegerField(help_text="Id of the user who created the subject.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PopularSubjectOutputSerializer(SubjectOutputSerializer):
    learner_count = serializers.IntegerField(
        help_text="Distinct users with progress or summaries in the subject."
    )


# --- summaries ----------------------------------------------------------------------------------


class SummaryRequestInputSerializer(StrictInputSerializer):
    subject_id = serializers.IntegerField(min_value=1)
    content = serializers.CharField(min_length=CONTENT_MIN_CHARS, max_length=CONTENT_MAX_CHARS)
    summary_type = serializers.ChoiceField(choices=SummaryType.choices)
    provider = serializers.ChoiceField(
        choices=list(settings.AI_PROVIDER_NAMES), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SummaryListQuerySerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(min_value=1, required=False)
    status = inline_choice_field(SummaryStatus, required=False)
    summary_type = serializers.ChoiceField(choices=SummaryType.choices, required=False)


class SummaryOutputSerializer(serializers.ModelSerializer[StudySummary]):
    class Meta:
        model = StudySummary
        fields = (
            "id",
            "subject",
            "title",
            "content",
            "summary",
            "summary_type",
            "status",
            "provider",
            "model",
            "tokens_used",
            "error_code",
            "error",
            "created_at",
            "completed_at",
        )


# --- progress -----------------------------------------------------------------------------------


class ProgressLogInputSerializer(StrictInputSerializer):
    subject_id = serializers.IntegerField(min_value=1)
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_LOG_MINUTES)
    topics_covered = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=MAX_TOPICS, required=False
    )


class ProgressOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    subject = serializers.IntegerField()
    subject_name = serializers.CharField()
    total_study_minutes = serializers.IntegerField()
    sessions_count = serializers.IntegerField()
    completion_percentage = serializers.FloatField(
        help_text="Minutes against the subject's target (your largest goal for it, else 1200)."
    )
    last_studied_at = serializers.DateTimeField(allow_null=True)
    streak_days = serializers.IntegerField(
        help_text="Consecutive days with study in your time zone; 0 once a day is missed."
    )
    longest_streak_days = serializers.IntegerField()


# --- goals --------------------------------------------------------------------------------------


def _not_in_the_past(value: datetime.date | None) -> None:
    # A day of slack: the learner's today can be UTC's yesterday.
    if value is not None and value < timezone.now().date() - datetime.timedelta(days=1):
        raise serializers.ValidationError(_("The target date is in the past."))


class GoalCreateInputSerializer(StrictInputSerializer):
    subject_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    target_minutes = serializers.IntegerField(min_value=1, max_value=MAX_GOAL_MINUTES)
    target_date = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_the_past]
    )


class GoalUpdateInputSerializer(StrictInputSerializer):
    """PUT needs `title` and `target_minutes`; PATCH validates with `partial=True`. The subject
    is fixed at creation (the goal's minutes were counted in it)."""

    title = serializers.CharField(max_length=200)
    target_minutes = serializers.IntegerField(min_value=1, max_value=MAX_GOAL_MINUTES)
    target_date = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_the_past]
    )
    status = inline_choice_field(GoalStatus, required=False)


class GoalListQuerySerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(min_value=1, required=False)
    status = inline_choice_field(GoalStatus, required=False)


class GoalOutputSerializer(serializers.ModelSerializer[StudyGoal]):
    progress_percentage = serializers.FloatField(
        read_only=True, help_text="Minutes logged since the goal was created, against its target."
    )

    class Meta:
        model = StudyGoal
        fields = (
            "id",
            "subject",
            "title",
            "target_minutes",
            "target_date",
            "status",
            "progress_percentage",
            "logged_minutes",
            "created_at",
            "completed_at",
        )


# --- settings -----------------------------------------------------------------------------------


class StudySettingsInputSerializer(StrictInputSerializer):
    """Every field is optional: the ones left out keep their values."""

    daily_goal_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_LOG_MINUTES, required=False
    )
    preferred_difficulty = inline_choice_field(DifficultyLevel, required=False)
    preferred_ai_provider = serializers.ChoiceField(
        choices=AIProviderChoice.choices, required=False
    )
    reminder_time = serializers.TimeField(required=False, allow_null=True)
    pomodoro_minutes = serializers.IntegerField(
        min_value=MIN_POMODORO, max_value=MAX_POMODORO, required=False
    )
    desired_retention = serializers.FloatField(
        min_value=MIN_DESIRED_RETENTION,
        max_value=MAX_DESIRED_RETENTION,
        required=False,
        help_text="Recall probability spaced review aims for when a card falls due.",
    )


class StudySettingsOutputSerializer(serializers.ModelSerializer[StudySettings]):
    preferred_difficulty = inline_choice_field(DifficultyLevel, read_only=True)

    class Meta:
        model = StudySettings
        fields = (
            "daily_goal_minutes",
            "preferred_difficulty",
            "preferred_ai_provider",
            "reminder_time",
            "pomodoro_minutes",
            "desired_retention",
        )


# --- pages (for the schema) ---------------------------------------------------------------------


def paginated(
    item: type[serializers.Serializer[Any]], name: str
) -> type[serializers.Serializer[Any]]:
    """`{count, next, previous, results: [item]}` as the list endpoints answer it."""
    fields: dict[str, Any] = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    return type(name, (serializers.Serializer,), fields)


SubjectPageSerializer = paginated(SubjectOutputSerializer, "PaginatedSubjectList")
PopularSubjectPageSerializer = paginated(
    PopularSubjectOutputSerializer, "PaginatedPopularSubjectList"
)
ProgressPageSerializer = paginated(ProgressOutputSerializer, "PaginatedProgressList")
