"""Every write of the quiz domain. Other apps import from here, never from the modules.

What other apps hear of quiz is in `quiz.events` (AnswerGraded, QuizCompleted, QuizGenerated);
the one port quiz asks through, for a learner model's predictions, is `success_predictor_port`
(see `quiz.adaptive` and `studymate_api.ports`)."""

from ..adaptive import Candidate, SuccessPredictor, success_predictor_port
from .attempts import (
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
from .generation import quiz_generate, quiz_generation_requeue_stale, quiz_generation_run

__all__ = [
    "ESSAY_CONFIDENCE_THRESHOLD",
    "QUESTION_FIELDS",
    "QUIZ_FIELDS",
    "Candidate",
    "SuccessPredictor",
    "answer_grade_manual",
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
    "quiz_generation_requeue_stale",
    "quiz_generation_run",
    "quiz_update",
    "success_predictor_port",
]
