"""Short answers as learners type them, over HTTP: spacing inside Korean (띄어쓰기), a trailing
particle, English word endings, width, case and punctuation do not make an answer wrong; every
accepted variant of the key is read the same way; a different answer stays wrong."""

from __future__ import annotations

import pytest

from .conftest import SUBMIT, start_url

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {
        "question_type": "short_answer",
        "text": "엽록체의 스트로마에서 CO2를 고정하는 회로는?",
        "accepted_answers": ["캘빈 회로", "Calvin cycle"],
    },
    {
        "question_type": "short_answer",
        "text": "포도당을 분해해 ATP를 얻는 과정은?",
        "accepted_answers": ["세포호흡", "cellular respiration"],
    },
    {
        "question_type": "short_answer",
        "text": "What do learners do with flashcards?",
        "accepted_answers": ["study", "spaced repetition"],
    },
    {
        "question_type": "short_answer",
        "text": "광합성이 일어나는 세포 소기관은?",
        "accepted_answers": ["고양이"],  # a key ending in what looks like a particle
    },
    {
        "question_type": "short_answer",
        "text": "What is pi to two decimals?",
        "accepted_answers": ["3.14"],
    },
]


@pytest.fixture
def matching_quiz(make_quiz):
    return make_quiz(questions=QUESTIONS)


def graded(client, quiz, question_index: int, answer: str) -> dict:
    """The answer to one question in a fresh attempt, as submit-answer returns it."""
    attempt = client.post(start_url(quiz.pk)).json()
    text = QUESTIONS[question_index]["text"]
    question = next(q for q in attempt["questions"] if q["text"] == text)
    body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": answer}
    response = client.post(SUBMIT, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("question_index", "answer", "correct"),
    [
        # Spacing inside Korean, both ways.
        (0, "캘빈회로", True),
        (0, " 캘빈   회로 ", True),
        (1, "세포 호흡", True),
        (1, "세포-호흡.", True),
        # A trailing particle or copula on the learner's answer.
        (0, "캘빈 회로이다", True),
        (1, "세포호흡을", True),
        (1, "세포호흡입니다", True),
        # Every accepted variant, read the same way (case, width, stems).
        (0, "CALVIN CYCLES", True),
        (0, "\uff23\uff41\uff4c\uff56\uff49\uff4e cycle", True),  # full-width Latin
        (1, "Cellular-respiration!", True),
        (2, "studied", True),
        (2, "Studies", True),
        (2, "spaced repetitions", True),
        # Still wrong.
        (0, "캘빈", False),
        (0, "회로 캘빈", False),
        (1, "세포호흡막", False),
        (2, "student", False),
        (2, "spacedrepetition", False),  # English spacing counts
        (3, "고양", False),  # a particle is taken off the answer, never off the key
        (3, "고양이가", True),
        (4, "314", False),
        (4, "3 14", False),
        (4, "3.14.", True),
    ],
)
def test_short_answers_as_learners_type_them(
    matching_quiz, other_client, question_index, answer, correct
):
    result = graded(other_client, matching_quiz, question_index, answer)

    assert result["is_correct"] is correct
    assert result["score"] == (1.0 if correct else 0.0)
