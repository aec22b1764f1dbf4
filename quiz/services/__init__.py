"""Every write of the quiz domain. Other apps import from here, never from the modules.

Also the two extension points other apps plug into at start-up without quiz importing them:
the `answer_graded` signal and `set_success_predictor` (see `quiz.adaptive`)."""

from ..adaptive import Candidate, set_success_predictor
from ..signals import answer_graded
from .attempts import (
    QUIZ_ATTEMPT,
    QUIZ_COMPLETED,
    answer_submit,
    attempt_finish,
    attempt_rescore,
    attempt_start,
    auto_grade,
)
from .authoring import (
    QUESTION_FIELDS,
    QUIZ_FIELDS,
    question_create,
    question_delete,
    question_update,
    quiz_create,
    quiz_delete,
    quiz_update,
)
from .essays import ESSAY_CONFIDENCE_THRESHOLD, answer_grade_manual, essay_grade
from .generation import quiz_generate

__all__ = [
    "ESSAY_CONFIDENCE_THRESHOLD",
    "QUESTION_FIELDS",
    "QUIZ_ATTEMPT",
    "QUIZ_COMPLETED",
    "QUIZ_FIELDS",
    "Candidate",
    "answer_grade_manual",
    "answer_graded",
    "answer_submit",
    "attempt_finish",
    "attempt_rescore",
    "attempt_start",
    "auto_grade",
    "essay_grade",
    "question_create",
    "question_delete",
    "question_update",
    "quiz_create",
    "quiz_delete",
    "quiz_generate",
    "quiz_update",
    "set_success_predictor",
]
