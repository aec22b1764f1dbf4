from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studymate_api.core.serializers import SuccessBandOutputSerializer


class AdaptiveDifficultyQuerySerializer(serializers.Serializer[Any]):
    subject_id = serializers.IntegerField(min_value=1)


class SubjectRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class AdaptiveDifficultyOutputSerializer(serializers.Serializer[Any]):
    subject = SubjectRefSerializer()
    recommended_difficulty = serializers.ChoiceField(choices=["easy", "medium", "hard"])
    ability = serializers.FloatField(help_text="Log-odds of success on a medium question.")
    confidence = serializers.FloatField(help_text="0 (no evidence) to 1 (well observed).")
    predicted_success_rate = serializers.FloatField()
    target_success_rate = SuccessBandOutputSerializer()
