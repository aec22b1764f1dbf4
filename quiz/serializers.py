"""Input and output serializers of the quiz endpoints.

Questions are answered in two views: the quiz owner's (with correct choices, accepted answers,
rubric and explanation) and a learner's, without any of them. Output serializers decide by the
`user_id` in their context (`learner: True` forces the learner's view); owner-only fields are
optional in the schema and marked so.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from studymate_api.ai.contracts import MAX_QUIZ_QUESTIONS
from studymate_api.core.serializers import (
    MAX_ID,
    StrictInputSerializer,
    SuccessBandOutputSerializer,
)

from .models import (
    MAX_RESPONSE_SECONDS,
    AnswerStatus,
    AttemptMode,
    Difficulty,
    GenerationStatus,
    GradedBy,
    Question,
    QuestionType,
    Quiz,
    ShowAnswers,
)

OWNER_ONLY = "Only in the quiz owner's view."
_QUESTION_OWNER_FIELDS = ("accepted_answers", "numeric_tolerance", "rubric")
# The largest a PositiveIntegerField holds on every database: larger is a 400, not a 500.
_STORABLE_MAX = 2**31 - 1


def _type_list_field(**kwargs: Any) -> serializers.ListField:
    """Question types as a list: its enum is inlined, so drf-spectacular does not see a second
    name for the set `question_type` already names."""
    schema = {"type": "string", "enum": list(QuestionType.values)}
    field_class = extend_schema_field(schema)(
        type("QuestionTypeItemField", (serializers.ChoiceField,), {})
    )
    return serializers.ListField(child=field_class(choices=QuestionType.choices), **kwargs)


def _topics_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=10, required=False
    )


# --- input --------------------------------------------------------------------------------------


class ChoiceInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=300)
    is_correct = serializers.BooleanField(required=False, default=False)


class RubricCriterionInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    points = serializers.FloatField(min_value=0.01, max_value=1000)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=80), max_length=20, required=False
    )


# A question as POST /quizzes/ takes it inline (no `quiz`).
class QuestionFieldsSerializer(StrictInputSerializer):
    question_type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.CharField(max_length=5000)
    points = serializers.FloatField(min_value=0.01, max_value=1000, required=False)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    explanation = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    topics = _topics_field()
    order = serializers.IntegerField(min_value=0, max_value=_STORABLE_MAX, required=False)
    choices = serializers.ListField(child=ChoiceInputSerializer(), max_length=10, required=False)
    accepted_answers = serializers.ListField(
        child=serializers.CharField(max_length=1000), max_length=20, required=False
    )
    numeric_tolerance = serializers.FloatField(min_value=0, required=False, allow_null=True)
    rubric = serializers.ListField(
        child=RubricCriterionInputSerializer(), max_length=10, required=False
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Multiple choice",
            value={
                "quiz": 34,
                "question_type": "multiple_choice",
                "text": "f(x) = x^2 의 도함수는?",
                "points": 2,
                "difficulty": "easy",
                "explanation": "거듭제곱의 미분법: (x^n)' = n·x^(n-1)",
                "topics": ["도함수"],
                "choices": [
                    {"text": "2x", "is_correct": True},
                    {"text": "x"},
                    {"text": "x^2 / 2"},
                    {"text": "2"},
                ],
            },
            request_only=True,
        ),
        OpenApiExample(
            "Short answer",
            value={
                "quiz": 34,
                "question_type": "short_answer",
                "text": "What is the derivative of a constant?",
                "accepted_answers": ["0", "zero"],
            },
            request_only=True,
        ),
    ]
)
class QuestionInputSerializer(QuestionFieldsSerializer):
    read_names = {"quiz_id": "quiz"}

    quiz_id = serializers.IntegerField(min_value=1)


# PUT needs `question_type` and `text`; PATCH validates with `partial=True`. `choices` replace
# the old ones.
class QuestionUpdateInputSerializer(QuestionFieldsSerializer):
    pass


# POST and PUT need `title`; PATCH validates with `partial=True`. `questions` only on POST.
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Settings",
            value={
                "title": "미분 기초 확인 퀴즈",
                "difficulty": "medium",
                "time_limit_minutes": 20,
                "is_public": True,
                "max_attempts": 3,
                "pass_percentage": 70,
                "show_answers": "after_finish",
            },
            request_only=True,
        )
    ]
)
class QuizInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    title = serializers.CharField(max_length=200)
    subject_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    time_limit_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, required=False, allow_null=True
    )
    is_public = serializers.BooleanField(required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_choices = serializers.BooleanField(required=False)
    questions_per_attempt = serializers.IntegerField(
        min_value=1, max_value=_STORABLE_MAX, required=False, allow_null=True
    )
    max_attempts = serializers.IntegerField(
        min_value=1, max_value=_STORABLE_MAX, required=False, allow_null=True
    )
    pass_percentage = serializers.FloatField(min_value=0, max_value=100, required=False)
    show_answers = serializers.ChoiceField(choices=ShowAnswers.choices, required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Quiz with its questions",
            value={
                "title": "미분 기초 확인 퀴즈",
                "subject": 12,
                "difficulty": "medium",
                "time_limit_minutes": 15,
                "is_public": False,
                "shuffle_choices": True,
                "pass_percentage": 70,
                "questions": [
                    {
                        "question_type": "multiple_choice",
                        "text": "f(x) = x^2 의 도함수는?",
                        "choices": [
                            {"text": "2x", "is_correct": True},
                            {"text": "x"},
                            {"text": "x^2 / 2"},
                        ],
                    },
                    {
                        "question_type": "true_false",
                        "text": "미분 가능한 함수는 항상 연속이다.",
                        "accepted_answers": ["true"],
                    },
                    {
                        "question_type": "essay",
                        "text": "평균변화율과 순간변화율의 차이를 설명하시오.",
                        "points": 5,
                    },
                ],
            },
            request_only=True,
        ),
        OpenApiExample(
            "Empty quiz",
            value={"title": "Chemistry warm-up", "difficulty": "easy"},
            request_only=True,
        ),
    ]
)
class QuizCreateInputSerializer(QuizInputSerializer):
    questions = serializers.ListField(
        child=QuestionFieldsSerializer(), max_length=100, required=False
    )


class QuizListQuerySerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    search = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    mine = serializers.BooleanField(required=False, default=False)
    question_type = serializers.ChoiceField(
        choices=QuestionType.choices, required=False, help_text="Quizzes with such a question."
    )


class QuestionListQuerySerializer(serializers.Serializer[Any]):
    quiz = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    question_type = serializers.ChoiceField(choices=QuestionType.choices, required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "From study material",
            value={
                "subject_id": 12,
                "source_text": "도함수는 함수의 순간변화율을 나타낸다. f(x) = x^n 이면 "
                "f'(x) = n·x^(n-1) 이고, 상수의 도함수는 0이다. 곱의 미분법은 "
                "(fg)' = f'g + fg' 이다.",
                "num_questions": 5,
                "question_types": ["multiple_choice", "short_answer"],
                "difficulty": "medium",
            },
            request_only=True,
        ),
        OpenApiExample(
            "From one of your summaries",
            value={
                "subject_id": 12,
                "summary_id": 87,
                "num_questions": 10,
                "question_types": ["multiple_choice", "true_false"],
                "difficulty": "hard",
                "title": "광합성 심화 퀴즈",
            },
            request_only=True,
        ),
    ]
)
class QuizGenerateInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    subject_id = serializers.IntegerField(min_value=1)
    source_text = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    summary_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    num_questions = serializers.IntegerField(min_value=1, max_value=MAX_QUIZ_QUESTIONS, default=5)
    question_types = _type_list_field(
        min_length=1,
        max_length=5,
        default=["multiple_choice", "short_answer"],
    )
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default="medium")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    provider = serializers.ChoiceField(
        choices=list(settings.AI_PROVIDER_NAMES), required=False, allow_null=True
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Multiple choice: a choice id",
            value={"attempt_id": 501, "question_id": 1203, "answer": 4410},
            request_only=True,
        ),
        OpenApiExample(
            "Multiple select: choice ids",
            value={"attempt_id": 501, "question_id": 1204, "answer": [4415, 4417]},
            request_only=True,
        ),
        OpenApiExample(
            "True or false",
            value={"attempt_id": 501, "question_id": 1205, "answer": True},
            request_only=True,
        ),
        OpenApiExample(
            "Short answer or essay: text",
            value={
                "attempt_id": 501,
                "question_id": 1206,
                "answer": "평균변화율은 구간에서의 변화율이고, 순간변화율은 그 극한이다.",
            },
            request_only=True,
        ),
    ]
)
class SubmitAnswerInputSerializer(StrictInputSerializer):
    attempt_id = serializers.IntegerField(min_value=1)
    question_id = serializers.IntegerField(min_value=1)
    answer = serializers.JSONField(
        help_text="A choice id (multiple_choice), a list of choice ids (multiple_select), "
        "true/false (true_false), text otherwise."
    )
    response_seconds = serializers.FloatField(
        min_value=0,
        max_value=MAX_RESPONSE_SECONDS,
        required=False,
        help_text="How long the learner took on the question, as the app measured it (time "
        "shown to time answered). Without it, the time since the attempt's previous answer.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Essay grade",
            value={"score": 4.5, "feedback": "핵심 개념은 정확합니다. 예시를 하나 더 들어 보세요."},
            request_only=True,
        )
    ]
)
class ManualGradeInputSerializer(StrictInputSerializer):
    score = serializers.FloatField(min_value=0)
    feedback = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# --- output: quizzes and questions --------------------------------------------------------------


class ChoiceOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField(required=False, help_text=OWNER_ONLY)


class QuestionOutputSerializer(serializers.Serializer[Question]):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField(source="quiz_id")
    question_type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.CharField()
    points = serializers.FloatField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    explanation = serializers.CharField(
        allow_null=True, help_text="Null in a learner's view (it may give the answer away)."
    )
    topics = serializers.ListField(child=serializers.CharField())
    order = serializers.IntegerField()
    choices = ChoiceOutputSerializer(many=True, source="choices.all")
    accepted_answers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=OWNER_ONLY
    )
    numeric_tolerance = serializers.FloatField(
        allow_null=True, required=False, help_text=OWNER_ONLY
    )
    rubric = serializers.ListField(
        child=serializers.DictField(), required=False, help_text=OWNER_ONLY
    )

    def to_representation(self, instance: Question) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        owner = not self.context.get("learner") and (
            self.context.get("user_id") == instance.quiz.owner_id
        )
        return data if owner else learner_view(data)


def learner_view(question: dict[str, Any]) -> dict[str, Any]:
    """A question without anything that gives its answer away."""
    hidden = {k: v for k, v in question.items() if k not in _QUESTION_OWNER_FIELDS}
    hidden["explanation"] = None
    hidden["choices"] = [{"id": c["id"], "text": c["text"]} for c in question["choices"]]
    return hidden


class QuizOutputSerializer(serializers.Serializer[Quiz]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    subject = serializers.IntegerField(source="subject_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id")
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    is_public = serializers.BooleanField()
    shuffle_questions = serializers.BooleanField()
    shuffle_choices = serializers.BooleanField()
    questions_per_attempt = serializers.IntegerField(allow_null=True)
    max_attempts = serializers.IntegerField(allow_null=True)
    pass_percentage = serializers.FloatField()
    show_answers = serializers.ChoiceField(choices=ShowAnswers.choices)
    generation_status = serializers.ChoiceField(
        choices=GenerationStatus.choices,
        help_text="`ready` for a quiz written by hand. A quiz generated with AI is `pending` until "
        "its questions are written, then `ready`, or `failed` (see `generation_error_code`). "
        "Until it is ready it has no questions, cannot be started and only its owner sees it.",
    )
    generation_error_code = serializers.CharField(
        help_text="Why the generation failed, as an error code (`ai_unavailable`, "
        "`ai_output_invalid`, `insufficient_credits`...); empty otherwise."
    )
    generation_error = serializers.CharField(
        help_text="Why the generation failed, in words; empty otherwise."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    questions = QuestionOutputSerializer(many=True, source="questions.all")


# --- output: attempts ---------------------------------------------------------------------------


class AttemptQuestionOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    question_type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.CharField()
    points = serializers.FloatField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    topics = serializers.ListField(child=serializers.CharField())
    choices = ChoiceOutputSerializer(many=True, help_text="In the attempt's order; no answers.")


class AnswerOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    answer = serializers.JSONField()
    status = serializers.ChoiceField(choices=AnswerStatus.choices)
    is_correct = serializers.BooleanField(allow_null=True)
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    feedback = serializers.CharField()
    criteria = serializers.ListField(child=serializers.DictField())
    graded_by = serializers.CharField(help_text=f"One of {', '.join(GradedBy.values)}, or empty.")
    correct_answer = serializers.JSONField(
        allow_null=True, help_text="Null unless the quiz's show_answers allows it now."
    )
    explanation = serializers.CharField(
        allow_null=True, help_text="Null unless the quiz's show_answers allows it now."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("Fixed questions (the default)", value={}, request_only=True),
        OpenApiExample("Adaptive", value={"mode": "adaptive"}, request_only=True),
    ]
)
class AttemptStartInputSerializer(StrictInputSerializer):
    mode = serializers.ChoiceField(
        choices=AttemptMode.choices,
        default=AttemptMode.FIXED,
        help_text="`adaptive`: questions come one at a time from "
        "`GET /api/quiz/attempts/{id}/next_question/`, chosen so that your predicted success "
        "is in the target band.",
    )
    stop_at_standard_error = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.1,
        max_value=2.0,
        help_text="Adaptive attempts only: end the attempt early once the ability estimate's "
        "standard error (in logits) is at most this, after at least 5 answers.",
    )


class AttemptStartOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=AttemptMode.choices)
    started_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    questions = AttemptQuestionOutputSerializer(
        many=True, help_text="Adaptive attempts: only the questions answered so far."
    )


class NextQuestionOutputSerializer(serializers.Serializer[Any]):
    question = AttemptQuestionOutputSerializer(
        allow_null=True, help_text="Null once the attempt has all its answers."
    )
    predicted_success = serializers.FloatField(
        allow_null=True, help_text="Your predicted probability of answering it correctly."
    )
    target_success_rate = SuccessBandOutputSerializer()
    answered = serializers.IntegerField()
    remaining = serializers.IntegerField()
    ability_vs_expected = serializers.FloatField(
        help_text="This attempt's ability estimate, in logits above what the learner model "
        "expected at its start (0: as expected)."
    )
    standard_error = serializers.FloatField(help_text="The estimate's standard error (logits).")
    adapting = serializers.BooleanField(
        help_text="False when the quiz's pool is under twice the attempt's length: too small to "
        "choose questions from, so the attempt asks nearly all of them whatever the answers."
    )


_PASSED_HELP = (
    "Null until the attempt is finished and while any of its essays waits for a grade (the AI's "
    "or the quiz owner's review): an essay not graded yet is no 0, and the result is not known. "
    "Once the last essay is graded, the final result."
)


class AttemptOutputSerializer(AttemptStartOutputSerializer):
    finished_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(
        help_text="Points earned so far: an essay waiting for its grade adds nothing until it "
        "is graded (see `pending_essays`)."
    )
    max_score = serializers.FloatField()
    percentage = serializers.FloatField(
        help_text="`score` of `max_score`, in percent; with essays pending, a share so far."
    )
    passed = serializers.BooleanField(allow_null=True, help_text=_PASSED_HELP)
    pending_essays = serializers.IntegerField(
        help_text="Essays of the attempt waiting for their grade (status `grading` or "
        "`needs_review`). While above 0, `passed` is null."
    )
    pending_points = serializers.FloatField(
        help_text="The points of those essays: what `score` may still gain."
    )
    time_spent_seconds = serializers.IntegerField(allow_null=True)
    answers = AnswerOutputSerializer(many=True)


class ResultOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField(source="quiz_id")
    quiz_title = serializers.CharField(source="quiz.title")
    subject = serializers.IntegerField(source="quiz.subject_id", allow_null=True)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percentage = serializers.FloatField()
    passed = serializers.BooleanField(allow_null=True, help_text=_PASSED_HELP)


class ChoiceStatsOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField()
    count = serializers.IntegerField(help_text="How many answers picked it.")


class QuestionStatsOutputSerializer(serializers.Serializer[Any]):
    question_id = serializers.IntegerField()
    text = serializers.CharField()
    question_type = serializers.ChoiceField(choices=QuestionType.choices)
    answers = serializers.IntegerField()
    correct = serializers.IntegerField()
    correct_rate = serializers.FloatField(allow_null=True)
    discrimination = serializers.FloatField(
        allow_null=True,
        help_text="Correct rate of the upper 27% of finished attempts minus the lower 27%.",
    )
    choices = ChoiceStatsOutputSerializer(many=True, help_text="Choice questions only.")


class AnalyticsOutputSerializer(serializers.Serializer[Any]):
    quiz = serializers.IntegerField()
    attempts = serializers.IntegerField()
    finished_attempts = serializers.IntegerField()
    mean_percentage = serializers.FloatField(allow_null=True)
    median_percentage = serializers.FloatField(allow_null=True)
    mean_score = serializers.FloatField(allow_null=True)
    pass_rate = serializers.FloatField(
        allow_null=True,
        help_text="0..1, of the finished attempts with a result (not those whose essays still "
        "wait for a grade).",
    )
    mean_time_spent_seconds = serializers.FloatField(allow_null=True)
    questions = QuestionStatsOutputSerializer(many=True)
    hardest_questions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Question ids, lowest correct rate first."
    )


class SubjectAccuracyOutputSerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    answers = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(help_text="0..1")


class TopicAccuracyOutputSerializer(serializers.Serializer[Any]):
    topic = serializers.CharField()
    answers = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(help_text="0..1")


class ResultSummaryOutputSerializer(serializers.Serializer[Any]):
    finished_attempts = serializers.IntegerField()
    subjects = SubjectAccuracyOutputSerializer(many=True)
    topics = TopicAccuracyOutputSerializer(many=True)
    weakest_topics = serializers.ListField(
        child=serializers.CharField(), help_text="Lowest accuracy first (two answers or more)."
    )
