"""Serializers of the recommendation endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..recommendations import DEFAULT_LIMIT, MAX_LIMIT, RecommendationType

_TYPES = [t.value for t in RecommendationType]


class RecommendationQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, required=False, default=DEFAULT_LIMIT
    )


class RecommendedSubjectSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    difficulty_level = serializers.CharField()
    is_public = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    created_by = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_ITEM_SCHEMA = {
    "type": "object",
    "description": (
        "Always `subject` (the subject row it leads to, or null). By type: `review`: "
        "`due_count`, `oldest_due`; `weak_topic`: `topic`, `predicted_success`, `answers`, "
        "`quiz` ({id, title, difficulty} to practise, or null); `goal`: `goal` ({id, title, "
        "target_minutes, logged_minutes, target_date, progress_percentage}), `minutes_per_day`; "
        "`similar_subject`: `similar_to` ({id, name}); `popular_subject`: `learner_count`; "
        "`popular_quiz`: `quiz` ({id, title, difficulty}), `learner_count`."
    ),
    "properties": {"subject": {"type": "object", "nullable": True}},
    "additionalProperties": True,
}


@extend_schema_field(_ITEM_SCHEMA)
class RecommendationItemField(serializers.DictField):
    pass


class RecommendationOutputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=_TYPES)
    item = RecommendationItemField()
    score = serializers.FloatField(help_text="0..1; the list is ranked by it (with diversity).")
    reason = serializers.CharField(help_text="Why, in the request's language.")


class SubjectRecommendationOutputSerializer(serializers.Serializer[Any]):
    subject = RecommendedSubjectSerializer(
        help_text="The subject, as `/api/study/subjects/` shows it."
    )
    score = serializers.FloatField(help_text="0..1, higher is a better match.")
    reason = serializers.CharField()
