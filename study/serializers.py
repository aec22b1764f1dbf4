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
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import MAX_ID, StrictInputSerializer

from .models import (
    MAX_DESIRED_RETENTION,
    MAX_LOG_MINUTES,
    MAX_NEW_CARDS_PER_DAY,
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
from .selectors import study_settings_workload
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


# POST and PUT need `name`; PATCH validates with `partial=True`.
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Private subject",
            value={
                "name": "수학 II: 미분",
                "description": "수능 대비 미분 단원 정리와 문제 풀이",
                "category": "수학",
                "difficulty_level": "intermediate",
                "is_public": False,
                "tags": ["미분", "수능"],
            },
            request_only=True,
        )
    ]
)
class SubjectInputSerializer(StrictInputSerializer):
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


SUMMARY_EXAMPLE_CONTENT = (
    "광합성은 식물이 빛 에너지를 이용해 이산화탄소와 물로 "
    "포도당을 만드는 과정이다. 명반응은 틸라코이드 막에서 "
    "일어나며 물이 분해되어 산소가 발생하고 ATP와 NADPH가 "
    "만들어진다. 암반응(캘빈 회로)은 스트로마에서 일어나며 "
    "명반응의 ATP와 NADPH를 써서 이산화탄소를 고정해 "
    "포도당을 합성한다."
)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Key concepts of a biology note",
            value={
                "subject_id": 12,
                "content": SUMMARY_EXAMPLE_CONTENT,
                "summary_type": "key_concepts",
                "title": "광합성 정리",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Brief summary with a chosen provider",
            value={
                "subject_id": 7,
                "content": "The French Revolution (1789-1799) ended absolute monarchy in France. "
                "It began with a fiscal crisis, the Estates-General and the storming of the "
                "Bastille, and led to the Declaration of the Rights of Man.",
                "summary_type": "brief",
                "provider": "openai",
            },
            request_only=True,
        ),
    ]
)
class SummaryRequestInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    subject_id = serializers.IntegerField(min_value=1)
    content = serializers.CharField(min_length=CONTENT_MIN_CHARS, max_length=CONTENT_MAX_CHARS)
    summary_type = serializers.ChoiceField(choices=SummaryType.choices)
    provider = serializers.ChoiceField(
        choices=list(settings.AI_PROVIDER_NAMES), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SummaryListQuerySerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
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


class SummaryStreamTicketOutputSerializer(serializers.Serializer[Any]):
    ticket = serializers.CharField(help_text="Single use; valid until `expires_at`.")
    expires_at = serializers.DateTimeField()
    stream_url = serializers.URLField(
        help_text="The stream's URL with the ticket: what `new EventSource(...)` opens."
    )


class SummaryStreamQuerySerializer(serializers.Serializer[Any]):
    ticket = serializers.CharField(
        required=False,
        max_length=500,
        help_text="A ticket from `POST .../stream-ticket/`, instead of the Authorization header.",
    )
    last_event_id = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=10**12,
        help_text="Resume after this event `id` (the `Last-Event-ID` header wins when both are "
        "sent): for a page that opens the stream again with a new ticket.",
    )


# --- progress -----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "45 minutes of calculus",
            value={"subject_id": 12, "minutes": 45, "topics_covered": ["도함수의 정의", "접선"]},
            request_only=True,
        )
    ]
)
class ProgressLogInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Twenty hours of calculus",
            value={
                "subject_id": 12,
                "title": "미분 20시간 공부하기",
                "target_minutes": 1200,
                "target_date": "2030-06-30",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Any subject, no deadline",
            value={"title": "Study 30 hours this term", "target_minutes": 1800},
            request_only=True,
        ),
    ]
)
class GoalCreateInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    subject_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    target_minutes = serializers.IntegerField(min_value=1, max_value=MAX_GOAL_MINUTES)
    target_date = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_the_past]
    )


# PUT needs `title` and `target_minutes`; PATCH validates with `partial=True`. The subject is
# fixed at creation (the goal's minutes were counted in it).
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Raise the target",
            value={"title": "미분 25시간 공부하기", "target_minutes": 1500, "status": "active"},
            request_only=True,
        )
    ]
)
class GoalUpdateInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    target_minutes = serializers.IntegerField(min_value=1, max_value=MAX_GOAL_MINUTES)
    target_date = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_the_past]
    )
    status = inline_choice_field(GoalStatus, required=False)


class GoalListQuerySerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
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


# Every field is optional: the ones left out keep their values.
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Evening learner",
            value={
                "daily_goal_minutes": 90,
                "preferred_difficulty": "intermediate",
                "reminder_time": "20:30:00",
                "pomodoro_minutes": 25,
            },
            request_only=True,
        )
    ]
)
class StudySettingsInputSerializer(StrictInputSerializer):
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
        help_text="Recall probability spaced review aims for when a card falls due "
        f"({MIN_DESIRED_RETENTION}-{MAX_DESIRED_RETENTION}).",
    )
    new_cards_per_day = serializers.IntegerField(
        min_value=0,
        max_value=MAX_NEW_CARDS_PER_DAY,
        required=False,
        help_text="At most this many new review cards are introduced a day (your local day); "
        "0 stops new cards.",
    )


class StudySettingsOutputSerializer(serializers.ModelSerializer[StudySettings]):
    preferred_difficulty = inline_choice_field(DifficultyLevel, read_only=True)
    expected_daily_reviews = serializers.SerializerMethodField(
        help_text="Spaced reviews a day to expect at `desired_retention` and "
        "`new_cards_per_day`: your cards now, the new ones among them introduced at your daily "
        "limit, averaged over the next 30 days (your own FSRS parameters once fitted). Null "
        "when it cannot be estimated."
    )

    class Meta:
        model = StudySettings
        fields = (
            "daily_goal_minutes",
            "preferred_difficulty",
            "preferred_ai_provider",
            "reminder_time",
            "pomodoro_minutes",
            "desired_retention",
            "new_cards_per_day",
            "expected_daily_reviews",
        )

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_expected_daily_reviews(self, settings: StudySettings) -> float | None:
        return study_settings_workload(settings)


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
