"""Input and output serializers of the `/api/cqrs/` endpoints.

Lists answer plain rows (`selectors`); the output serializers here document them for the schema.
Inputs are the REST endpoints' where the body is the same.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from study.models import SummaryStatus, SummaryType
from study.serializers import SUMMARY_EXAMPLE_CONTENT, inline_choice_field, paginated
from study.services import CONTENT_MAX_CHARS, CONTENT_MIN_CHARS
from studymate_api.core.serializers import StrictInputSerializer


# As `POST /api/study/generate-summary/`, with the subject in the path.
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Key concepts of a biology note",
            value={
                "content": SUMMARY_EXAMPLE_CONTENT,
                "summary_type": "key_concepts",
                "title": "광합성 정리",
            },
            request_only=True,
        )
    ]
)
class SubjectSummaryRequestInputSerializer(StrictInputSerializer):
    content = serializers.CharField(min_length=CONTENT_MIN_CHARS, max_length=CONTENT_MAX_CHARS)
    summary_type = serializers.ChoiceField(choices=SummaryType.choices)
    provider = serializers.ChoiceField(
        choices=list(settings.AI_PROVIDER_NAMES), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


# A row of `GET /api/study/summaries/` without the source content.
class StudySummaryViewOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    subject = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    summary_type = serializers.ChoiceField(choices=SummaryType.choices)
    status = inline_choice_field(SummaryStatus)
    provider = serializers.CharField()
    model = serializers.CharField()
    tokens_used = serializers.IntegerField()
    error_code = serializers.CharField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class DailyMinutesOutputSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(help_text="A day of your calendar (your time zone).")
    minutes = serializers.IntegerField()


class StudyAnalyticsOutputSerializer(serializers.Serializer[Any]):
    subjects_created = serializers.IntegerField(help_text="Subjects you created (and kept).")
    summaries_requested = serializers.IntegerField()
    summaries_completed = serializers.IntegerField()
    summaries_failed = serializers.IntegerField()
    tokens_used = serializers.IntegerField(help_text="AI tokens of your finished summaries.")
    minutes_studied = serializers.IntegerField(
        help_text="The sum of `total_study_minutes` over `GET /api/study/progress/`."
    )
    sessions_count = serializers.IntegerField(
        help_text="The sum of `sessions_count` over `GET /api/study/progress/`."
    )
    last_activity_at = serializers.DateTimeField(allow_null=True)
    daily_minutes = DailyMinutesOutputSerializer(
        many=True, help_text="The last 30 days up to today, oldest first; 0 for days off."
    )


StudySummaryViewPageSerializer = paginated(
    StudySummaryViewOutputSerializer, "PaginatedStudySummaryViewList"
)
