"""Input and output of the spaced-review endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

RATING_CHOICES = ["again", "hard", "good", "easy"]


@extend_schema_serializer(
    examples=[OpenApiExample("Recalled it", value={"rating": "good"}, request_only=True)]
)
class ReviewRateInputSerializer(StrictInputSerializer):
    rating = serializers.ChoiceField(
        choices=RATING_CHOICES,
        help_text="How well you recalled it: `again` (forgot) brings the card back soonest, "
        "`easy` pushes it furthest.",
    )


class SubjectRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewChoiceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()


class ReviewQuestionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    question_type = serializers.CharField()
    text = serializers.CharField()
    choices = ReviewChoiceSerializer(many=True)


class ReviewAnswerSerializer(serializers.Serializer[Any]):
    correct_answer = serializers.JSONField(
        allow_null=True,
        help_text="Question cards: the right answer in the shape `submit-answer` takes; null "
        "when the quiz does not show answers (yet).",
    )
    concept = serializers.CharField(
        allow_null=True, help_text="Concept cards: the concept (the blank of the front)."
    )
    explanation = serializers.CharField(
        allow_null=True,
        help_text="Question cards: the author's explanation (null when answers are not shown); "
        "concept cards: the sentence about the concept, from the summary or its source (empty "
        "when none is known).",
    )
    summary = serializers.IntegerField(
        allow_null=True, help_text="Concept cards: the summary the concept comes from."
    )


class ReviewClozeSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(
        help_text="The sentence about the concept with the concept blanked (`_____`)."
    )
    hint = serializers.CharField(
        help_text="The concept's first letters, an underscore for each other letter."
    )


class ReviewCardOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["question", "concept"])
    subject = SubjectRowSerializer(allow_null=True)
    question = ReviewQuestionSerializer(allow_null=True, help_text="Question cards: the front.")
    concept = serializers.CharField(
        allow_null=True,
        help_text="Concept cards whose sentence is unknown: the front, the bare concept (null "
        "when `cloze` is the front).",
    )
    cloze = ReviewClozeSerializer(
        allow_null=True,
        help_text="Concept cards with a known sentence: the front, that sentence with the "
        "concept blanked and a hint; the concept shows on the back.",
    )
    state = serializers.ChoiceField(choices=["learning", "review", "relearning"])
    is_new = serializers.BooleanField(
        help_text="Never reviewed yet: the due list holds at most your daily new-card limit "
        "(study settings' `new_cards_per_day`) of these a day."
    )
    suspended = serializers.BooleanField(
        help_text="Suspended cards are never due and quiz answers leave them alone."
    )
    due = serializers.DateTimeField(help_text="When the card is due next.")
    last_review = serializers.DateTimeField(allow_null=True)
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    answer = ReviewAnswerSerializer(
        allow_null=True, help_text="The back of the card: only in the answer to a rating."
    )


class ReviewCardPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReviewCardOutputSerializer(many=True)
