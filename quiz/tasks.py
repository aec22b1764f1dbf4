"""Background work of the quiz domain."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="quiz.grade_essay", acks_late=True, soft_time_limit=120, time_limit=150)
def grade_essay(answer_id: int) -> str:
    """Idempotent: a re-delivered message finds the answer graded and does nothing."""
    answer = services.essay_grade(answer_id=answer_id)
    return "skipped" if answer is None else answer.status


@shared_task(name="quiz.generate_quiz", acks_late=True)
def generate_quiz(quiz_id: int) -> str:
    """Idempotent: a re-delivered message finds the quiz claimed or finished and does nothing
    (see `services.quiz_generation_run`). Time limits are the project's task defaults; the
    claim's lease is renewed while it runs."""
    quiz = services.quiz_generation_run(quiz_id=quiz_id)
    return "skipped" if quiz is None else quiz.generation_status


@shared_task(name="quiz.requeue_stale_generations")
def requeue_stale_generations() -> int:
    """For the beat schedule (GENERATION_SWEEP_SECONDS): pending quizzes nobody generates."""
    return services.quiz_generation_requeue_stale()
