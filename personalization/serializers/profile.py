"""Input and output of the profile, analysis and prediction endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from ..services.profile import MAX_ACTIVITY_MINUTES, ActivityType, ContentType
from .reviews import SubjectRowSerializer

STYLE_HELP = (
    "Which content formats you engage with and do well in, from what you do on StudyMate. A "
    "preference profile, not a claim that studying in that format makes you learn better."
)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A video lecture, then a quiz",
            value={
                "activity_type": "lecture",
                "content_type": "video",
                "duration_minutes": 40,
                "score": 85,
                "subject_id": 12,
            },
            request_only=True,
        )
    ]
)
class UpdatePatternInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    activity_type = serializers.ChoiceField(choices=ActivityType.choices)
    content_type = serializers.ChoiceField(
        choices=ContentType.choices,
        help_text="The format you studied in: it is what the preference profile observes.",
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_ACTIVITY_MINUTES)
    score = serializers.FloatField(
        min_value=0, max_value=100, required=False, allow_null=True, help_text="0-100 percent."
    )
    subject_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class StyleScoresSerializer(serializers.Serializer[Any]):
    visual = serializers.FloatField()
    auditory = serializers.FloatField()
    kinesthetic = serializers.FloatField()
    reading = serializers.FloatField()


class TopicMasterySerializer(serializers.Serializer[Any]):
    topic = serializers.CharField()
    mastery = serializers.FloatField(
        help_text="Predicted chance of answering a medium question on the topic correctly."
    )
    confidence = serializers.FloatField()
    answers = serializers.IntegerField()


class StudyTimeSerializer(serializers.Serializer[Any]):
    start = serializers.CharField(help_text="HH:MM, in `timezone`.")
    end = serializers.CharField()
    start_hour = serializers.IntegerField()
    end_hour = serializers.IntegerField()
    timezone = serializers.CharField()
    confidence = serializers.FloatField()
    display = serializers.CharField(help_text="Human-readable, translated.")


STYLE_CHOICES = ["visual", "auditory", "kinesthetic", "reading", "mixed"]


class LearnerProfileOutputSerializer(serializers.Serializer[Any]):
    learning_style = serializers.ChoiceField(choices=STYLE_CHOICES, help_text=STYLE_HELP)
    style_scores = StyleScoresSerializer(help_text="Sum to 1.")
    confidence = serializers.FloatField(help_text="Grows with observed activity, 0 to 1.")
    strengths = TopicMasterySerializer(many=True)
    weaknesses = TopicMasterySerializer(many=True)
    optimal_study_time = StudyTimeSerializer(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class StyleEvidenceSerializer(serializers.Serializer[Any]):
    recent_observations = serializers.FloatField(help_text="Decayed by the half-life.")
    total_observations = serializers.IntegerField()


class StyleEvidenceByStyleSerializer(serializers.Serializer[Any]):
    visual = StyleEvidenceSerializer()
    auditory = StyleEvidenceSerializer()
    kinesthetic = StyleEvidenceSerializer()
    reading = StyleEvidenceSerializer()


class StyleAnalysisSerializer(serializers.Serializer[Any]):
    learning_style = serializers.ChoiceField(choices=STYLE_CHOICES, help_text=STYLE_HELP)
    scores = StyleScoresSerializer()
    confidence = serializers.FloatField()
    evidence = StyleEvidenceByStyleSerializer()
    half_life_days = serializers.FloatField()


class SubjectKnowledgeSerializer(serializers.Serializer[Any]):
    subject = SubjectRowSerializer()
    ability = serializers.FloatField(help_text="Log-odds of success on a medium question.")
    predicted_success = serializers.FloatField()
    confidence = serializers.FloatField()
    answers = serializers.IntegerField()


class KnowledgeSerializer(serializers.Serializer[Any]):
    subjects = SubjectKnowledgeSerializer(many=True)
    skills = TopicMasterySerializer(many=True)


class GoalReadinessSerializer(serializers.Serializer[Any]):
    goal_id = serializers.IntegerField()
    title = serializers.CharField()
    subject_id = serializers.IntegerField(allow_null=True)
    target_minutes = serializers.IntegerField()
    logged_minutes = serializers.IntegerField()
    target_date = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    pace_minutes_per_day = serializers.FloatField()
    projected_minutes = serializers.FloatField()
    time_readiness = serializers.FloatField(help_text="min(1, projected / target minutes).")
    mastery = serializers.FloatField(allow_null=True)
    readiness = serializers.FloatField(
        help_text="Mean of time readiness and mastery (time alone before any graded answer)."
    )
    on_track = serializers.BooleanField()


class PredictionsSerializer(serializers.Serializer[Any]):
    goals = GoalReadinessSerializer(many=True)


class StreakRiskSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=["none", "low", "medium", "high"])
    current_streak_days = serializers.IntegerField()
    studied_today = serializers.BooleanField()
    usual_time_passed = serializers.BooleanField()
    reason = serializers.CharField()


class AnalysisOutputSerializer(serializers.Serializer[Any]):
    learning_style = StyleAnalysisSerializer()
    knowledge = KnowledgeSerializer()
    strengths = TopicMasterySerializer(many=True)
    weaknesses = TopicMasterySerializer(many=True)
    predictions = PredictionsSerializer()
    optimal_study_time = StudyTimeSerializer(allow_null=True)
    streak_risk = StreakRiskSerializer()
    generated_at = serializers.DateTimeField()


class PredictionQuerySerializer(serializers.Serializer[Any]):
    quiz_id = serializers.IntegerField(min_value=1)


class QuestionPredictionSerializer(serializers.Serializer[Any]):
    question_id = serializers.IntegerField()
    points = serializers.FloatField()
    probability_correct = serializers.FloatField()


class QuizPredictionOutputSerializer(serializers.Serializer[Any]):
    quiz_id = serializers.IntegerField()
    title = serializers.CharField()
    expected_score = serializers.FloatField()
    max_score = serializers.FloatField()
    expected_percentage = serializers.FloatField()
    pass_percentage = serializers.FloatField()
    pass_probability = serializers.FloatField()
    confidence = serializers.FloatField()
    questions = QuestionPredictionSerializer(many=True)
