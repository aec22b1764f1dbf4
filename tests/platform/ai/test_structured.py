"""Structured outputs (quiz questions, essay grades): validated against the schema and the
request, repaired once when malformed, then handed to the next provider."""

from __future__ import annotations

import json
from typing import Any

import pytest

from studymate_api.ai import (
    AIOutputInvalid,
    AIResult,
    AITask,
    EssayGrade,
    EssayInput,
    GenerateOptions,
    QuestionType,
    QuizInput,
    QuizQuestionSet,
    RubricCriterion,
    generate,
    generate_stream,
)
from studymate_api.core.models import AIUsage
from tests.platform.ai.texts import EN

pytestmark = pytest.mark.django_db

QUESTIONS: dict[str, Any] = {
    "questions": [
        {
            "type": "multiple_choice",
            "question": "Where does the Calvin cycle take place?",
            "choices": ["Stroma", "Thylakoid membrane", "Nucleus", "Cell wall"],
            "answers": ["stroma"],
            "explanation": "The light-independent reactions take place in the <b>stroma</b>.",
            "difficulty": "medium",
            "topics": ["Calvin cycle"],
            "source": "The light-independent reactions, also called the Calvin cycle, take place "
            "in the stroma.",
        },
        {
            "type": "true_false",
            "question": "Oxygen is released when water molecules are split.",
            "answers": ["True"],
            "difficulty": "easy",
        },
    ]
}
RUBRIC = (
    RubricCriterion("Accuracy", 6, "States what photosynthesis makes", ("glucose", "oxygen")),
    RubricCriterion("Completeness", 4, "Names both stages", ("light-dependent", "Calvin cycle")),
)
GRADE: dict[str, Any] = {
    "criteria": [
        {"criterion": "Accuracy", "score": 5, "max_score": 6, "feedback": "Mostly right."},
        {"criterion": "completeness", "score": 2, "max_score": 4, "feedback": "One stage only."},
    ],
    "score": 9,  # wrong on purpose: the total is recomputed from the criteria
    "max_score": 10,
    "feedback": "Good start.",
    "confidence": 0.8,
}


def _essay(answer: str = "Plants make glucose and oxygen in the Calvin cycle.") -> EssayInput:
    return EssayInput("What does photosynthesis produce, and how?", answer, RUBRIC)


def _quiz() -> QuizInput:
    return QuizInput(EN, count=5, types=(QuestionType.MULTIPLE_CHOICE, QuestionType.TRUE_FALSE))


def test_quiz_questions_are_validated_and_normalized(enable, openai_api, user):
    enable("openai", openai_api)
    fenced = f"```json\n{json.dumps(QUESTIONS)}\n```"
    openai_api.enqueue(openai_api.completion(fenced))

    result = generate(AITask.QUIZ_QUESTIONS, _quiz(), user=user)

    questions = result.structured(QuizQuestionSet).questions
    assert [q.type for q in questions] == ["multiple_choice", "true_false"]
    assert questions[0].answers == ["Stroma"]  # matched to the choice's own spelling
    assert questions[0].explanation == "The light-independent reactions take place in the stroma."
    assert questions[1].answers == ["true"]
    assert json.loads(result.text)["questions"][0]["answers"] == ["Stroma"]
    sent = openai_api.last.json
    assert sent["response_format"] == {"type": "json_object"}
    assert 'Task parameters: {"question_count": 5' in sent["messages"][1]["content"]


def test_together_is_asked_for_a_json_object_too(enable, together_api, user):
    enable("together", together_api)
    together_api.enqueue(together_api.completion(json.dumps(QUESTIONS)))

    result = generate(AITask.QUIZ_QUESTIONS, _quiz(), user=user)

    assert result.provider == "together"
    assert len(result.structured(QuizQuestionSet).questions) == 2
    assert together_api.last.json["response_format"] == {"type": "json_object"}


def test_malformed_output_is_repaired_once(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.enqueue(
        openai_api.completion("Here are your questions: 1. What is ATP?"),
        openai_api.completion(json.dumps(QUESTIONS)),
    )

    result = generate(AITask.QUIZ_QUESTIONS, _quiz(), user=user)

    assert (result.provider, result.attempts, len(openai_api.requests)) == ("openai", 2, 2)
    repair = openai_api.requests[1].json["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == "Here are your questions: 1. What is ATP?"
    assert "no JSON object" in repair[3]["content"]
    rows = list(AIUsage.objects.order_by("id").values_list("outcome", "error"))
    assert rows == [("error", "invalid output: the reply contains no JSON object"), ("success", "")]


def test_output_ignoring_the_request_is_repaired(enable, openai_api, user):
    enable("openai", openai_api)
    essay_question = {"type": "essay", "question": "Explain photosynthesis.", "answers": []}
    openai_api.enqueue(
        openai_api.completion(json.dumps({"questions": [essay_question]})),
        openai_api.completion(json.dumps(QUESTIONS)),
    )

    result = generate(AITask.QUIZ_QUESTIONS, _quiz(), user=user)

    assert len(result.structured(QuizQuestionSet).questions) == 2
    assert "question types not asked for: essay" in openai_api.last.json["messages"][3]["content"]


def test_a_failed_repair_falls_back_to_the_next_provider(enable, openai_api, user):
    enable("openai", openai_api)
    bad_choice = {**QUESTIONS["questions"][0], "answers": ["Mitochondria"]}
    openai_api.enqueue(
        openai_api.completion("{not json"),
        openai_api.completion(json.dumps({"questions": [bad_choice]})),
    )

    result = generate(AITask.QUIZ_QUESTIONS, _quiz(), user=user)

    assert (result.provider, result.fallback) == ("local", True)
    questions = result.structured(QuizQuestionSet).questions
    assert questions
    assert {q.type for q in questions} <= {"multiple_choice", "true_false"}
    outcomes = list(AIUsage.objects.order_by("id").values_list("provider", "outcome"))
    assert outcomes == [("openai", "error"), ("openai", "error"), ("local", "fallback")]


def test_without_fallback_unusable_output_is_a_clear_error(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    anthropic_api.default = anthropic_api.message('{"questions": []}')

    with pytest.raises(AIOutputInvalid) as caught:
        generate(
            AITask.QUIZ_QUESTIONS,
            _quiz(),
            user=user,
            options=GenerateOptions("anthropic", fallback=False),
        )

    assert (caught.value.code, caught.value.http_status) == ("ai_output_invalid", 502)
    assert len(anthropic_api.requests) == 2


def test_essay_grading_through_anthropic(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    anthropic_api.enqueue(anthropic_api.message(json.dumps(GRADE)))

    result = generate(AITask.ESSAY_GRADING, _essay(), user=user)

    grade = result.structured(EssayGrade)
    assert (grade.score, grade.max_score, grade.confidence) == (7, 10, 0.8)
    assert [c.criterion for c in grade.criteria] == ["Accuracy", "completeness"]
    user_message = anthropic_api.user_messages(anthropic_api.last)[0]
    assert "- Accuracy (6 points): States what photosynthesis makes" in user_message
    assert '"max_score": 10' in user_message


def test_a_grade_that_does_not_match_the_rubric_is_repaired(enable, anthropic_api, user):
    enable("anthropic", anthropic_api)
    wrong = {**GRADE, "criteria": [{**GRADE["criteria"][0], "score": 7}]}
    anthropic_api.enqueue(
        anthropic_api.message(json.dumps(wrong)), anthropic_api.message(json.dumps(GRADE))
    )

    result = generate(AITask.ESSAY_GRADING, _essay(), user=user)

    assert result.structured(EssayGrade).score == 7
    correction = anthropic_api.user_messages(anthropic_api.last)[1]
    assert "exceeds its max_score" in correction


def test_structured_tasks_are_not_streamed(enable, openai_api, user):
    enable("openai", openai_api)
    openai_api.enqueue(openai_api.completion(json.dumps(QUESTIONS)))

    items = list(generate_stream(AITask.QUIZ_QUESTIONS, _quiz(), user=user))

    assert len(items) == 1
    assert isinstance(items[0], AIResult)
    assert items[0].structured(QuizQuestionSet).questions[0].answers == ["Stroma"]
    assert "stream" not in openai_api.last.json


def test_multiple_choice_answers_are_dealt_to_every_position_equally(enable, openai_api, user):
    """A model that puts every answer first: the gateway deals the answers over the positions
    from shuffled decks, so each of the four holds it twice in eight questions; the choices
    are the model's, the other choices in their order; the same output is dealt the same way."""
    questions = [
        {
            "type": "multiple_choice",
            "question": f"Question {n} about the Calvin cycle?",
            "choices": [f"right {n}", f"wrong {n}a", f"wrong {n}b", f"wrong {n}c"],
            "answers": [f"right {n}"],
        }
        for n in range(8)
    ]
    enable("openai", openai_api)
    many = QuizInput(EN, count=8, types=(QuestionType.MULTIPLE_CHOICE,))
    dealt = []
    for _ in range(2):
        openai_api.enqueue(openai_api.completion(json.dumps({"questions": questions})))
        result = generate(AITask.QUIZ_QUESTIONS, many, user=user)
        dealt.append(result.structured(QuizQuestionSet).questions)
    positions = [q.choices.index(q.answers[0]) for q in dealt[0]]
    assert sorted(positions) == [0, 0, 1, 1, 2, 2, 3, 3]
    for n, question in enumerate(dealt[0]):
        assert sorted(question.choices) == sorted(questions[n]["choices"])
        assert [c for c in question.choices if c != question.answers[0]] == questions[n]["choices"][
            1:
        ]
    assert [q.choices for q in dealt[1]] == [q.choices for q in dealt[0]]
