"""Every read of the quiz domain, with the visibility and ownership checks built in."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound, PermissionDenied

from .models import (
    CHOICE_TYPES,
    AttemptMode,
    Choice,
    Question,
    QuestionType,
    Quiz,
    QuizAttempt,
    ShowAnswers,
    UserAnswer,
)

if TYPE_CHECKING:
    from accounts.models import User

# How many of the hardest questions the analytics name.
HARDEST_LIMIT = 5


@dataclass(frozen=True)
class QuizFilters:
    subject_id: int | None = None
    difficulty: str | None = None
    search: str = ""
    mine: bool = False
    question_type: str | None = None


def quiz_visibility(user: User) -> Q:
    return Q(is_public=True) | Q(owner=user)


def _with_questions(quizzes: QuerySet[Quiz]) -> QuerySet[Quiz]:
    return quizzes.select_related("owner").prefetch_related(
        Prefetch(
            "questions",
            queryset=Question.objects.order_by("order", "id").prefetch_related(
                Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
            ),
        )
    )


def quiz_list(*, user: User, filters: QuizFilters | None = None) -> QuerySet[Quiz]:
    filters = filters or QuizFilters()
    quizzes = Quiz.objects.filter(Q(owner=user) if filters.mine else quiz_visibility(user))
    if filters.subject_id is not None:
        quizzes = quizzes.filter(subject_id=filters.subject_id)
    if filters.difficulty is not None:
        quizzes = quizzes.filter(difficulty=filters.difficulty)
    if filters.search:
        quizzes = quizzes.filter(title__icontains=filters.search)
    if filters.question_type is not None:
        with_type = Question.objects.filter(question_type=filters.question_type)
        quizzes = quizzes.filter(pk__in=with_type.values("quiz_id"))
    return _with_questions(quizzes).order_by("-created_at", "-id")


def quiz_get(*, user: User, quiz_id: int) -> Quiz:
    """A quiz the user may see; another user's private quiz is not found."""
    quiz = _with_questions(Quiz.objects.filter(quiz_visibility(user), pk=quiz_id)).first()
    if quiz is None:
        raise NotFound(_("Quiz not found."))
    return quiz


def quiz_get_owned(*, user: User, quiz_id: int) -> Quiz:
    """For edits: hidden quizzes are 404; a public quiz of someone else is 403."""
    quiz = quiz_get(user=user, quiz_id=quiz_id)
    if quiz.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner of a quiz can change it."))
    return quiz


def question_list(
    *, user: User, quiz_id: int | None = None, question_type: str | None = None
) -> QuerySet[Question]:
    questions = Question.objects.filter(
        Q(quiz__is_public=True) | Q(quiz__owner=user)
    ).select_related("quiz")
    if quiz_id is not None:
        questions = questions.filter(quiz_id=quiz_id)
    if question_type is not None:
        questions = questions.filter(question_type=question_type)
    choices = Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
    return questions.prefetch_related(choices).order_by("quiz_id", "order", "id")


def question_get(*, user: User, question_id: int) -> Question:
    question = question_list(user=user).filter(pk=question_id).first()
    if question is None:
        raise NotFound(_("Question not found."))
    return question


def attempt_get(*, user: User, attempt_id: int) -> QuizAttempt:
    """Only the learner's own attempt; anyone else's is not found."""
    attempt = QuizAttempt.objects.select_related("quiz").filter(user=user, pk=attempt_id).first()
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    return attempt


def attempt_in_progress(*, user: User, quiz_id: int) -> bool:
    """Whether the learner has an unfinished, unexpired attempt at the quiz."""
    open_ended = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return QuizAttempt.objects.filter(
        open_ended, user=user, quiz_id=quiz_id, finished_at__isnull=True
    ).exists()


def attempt_questions(attempt: QuizAttempt) -> list[tuple[Question, list[Choice]]]:
    """The attempt's questions and their choices in the frozen order. Two queries."""
    ids = [int(pk) for pk in attempt.question_order]
    questions = Question.objects.prefetch_related("choices").in_bulk(ids)
    drawn = []
    for pk in ids:
        question = questions.get(pk)
        if question is None:
            continue  # deleted by its owner after the attempt started
        by_id = {choice.pk: choice for choice in question.choices.all()}
        order = attempt.choice_order.get(str(pk), list(by_id))
        drawn.append((question, [by_id[c] for c in order if c in by_id]))
    return drawn


def attempt_time_spent(attempt: QuizAttempt) -> int | None:
    if attempt.finished_at is None:
        return None
    end = attempt.finished_at
    if attempt.expires_at is not None and end > attempt.expires_at:
        end = attempt.expires_at
    return max(0, int((end - attempt.started_at).total_seconds()))


def result_list(*, user: User) -> QuerySet[QuizAttempt]:
    return (
        QuizAttempt.objects.filter(user=user, finished_at__isnull=False)
        .select_related("quiz", "quiz__subject")
        .order_by("-finished_at", "-id")
    )


def quiz_analytics(*, user: User, quiz_id: int) -> dict[str, Any]:
    """For the owner only: anyone else gets 404, even for a public quiz. Five queries."""
    quiz = Quiz.objects.filter(owner=user, pk=quiz_id).first()
    if quiz is None:
        raise NotFound(_("Quiz not found."))
    attempts = list(QuizAttempt.objects.filter(quiz=quiz).order_by("id"))
    finished = [a for a in attempts if a.finished_at is not None]
    percentages = [a.percentage for a in finished]
    times = [t for t in (attempt_time_spent(a) for a in finished) if t is not None]
    per_question = _per_question(quiz, finished)
    rated = [q for q in per_question if q["correct_rate"] is not None]
    hardest = sorted(rated, key=lambda q: (q["correct_rate"], q["question_id"]))
    return {
        "quiz": quiz.pk,
        "attempts": len(attempts),
        "finished_attempts": len(finished),
        "mean_percentage": _mean(percentages, 2),
        "median_percentage": round(statistics.median(percentages), 2) if percentages else None,
        "mean_score": _mean([a.score for a in finished], 2),
        "pass_rate": (
            round(sum(1 for a in finished if a.passed) / len(finished), 4) if finished else None
        ),
        "mean_time_spent_seconds": _mean([float(t) for t in times], 1),
        "questions": per_question,
        "hardest_questions": [q["question_id"] for q in hardest[:HARDEST_LIMIT]],
    }


def _mean(values: list[float], digits: int) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


def _groups(finished: list[QuizAttempt]) -> tuple[set[int], set[int]]:
    """The upper and lower 27% of finished attempts by percentage (at least one each), for
    discrimination; empty with fewer than two attempts."""
    if len(finished) < 2:
        return set(), set()
    ranked = sorted(finished, key=lambda a: (a.percentage, a.pk))
    size = max(1, round(len(ranked) * 0.27))
    return {a.pk for a in ranked[-size:]}, {a.pk for a in ranked[:size]}


def _rate(answers: list[UserAnswer]) -> float | None:
    graded = [a for a in answers if a.is_correct is not None]
    return sum(1 for a in graded if a.is_correct) / len(graded) if graded else None


def _per_question(quiz: Quiz, finished: list[QuizAttempt]) -> list[dict[str, Any]]:
    answers: dict[int, list[UserAnswer]] = {}
    for answer in UserAnswer.objects.filter(question__quiz=quiz).only(
        "question_id", "attempt_id", "is_correct", "answer"
    ):
        answers.setdefault(answer.question_id, []).append(answer)
    upper, lower = _groups(finished)
    questions = quiz.questions.prefetch_related("choices").order_by("order", "id")
    return [_question_stats(q, answers.get(q.pk, []), upper, lower) for q in questions]


def _question_stats(
    question: Question, given: list[UserAnswer], upper: set[int], lower: set[int]
) -> dict[str, Any]:
    rate = _rate(given)
    high = _rate([a for a in given if a.attempt_id in upper])
    low = _rate([a for a in given if a.attempt_id in lower])
    return {
        "question_id": question.pk,
        "text": question.text,
        "question_type": question.question_type,
        "answers": len(given),
        "correct": sum(1 for a in given if a.is_correct),
        "correct_rate": None if rate is None else round(rate, 4),
        "discrimination": None if high is None or low is None else round(high - low, 4),
        "choices": _choice_counts(question, given),
    }


def _choice_counts(question: Question, given: list[UserAnswer]) -> list[dict[str, Any]]:
    """How often each choice was picked: the distractors that draw learners away."""
    if question.question_type not in CHOICE_TYPES:
        return []
    counts: dict[int, int] = {}
    for answer in given:
        picks = answer.answer if isinstance(answer.answer, list) else [answer.answer]
        for pick in picks:
            counts[pick] = counts.get(pick, 0) + 1
    return [
        {"id": c.pk, "text": c.text, "is_correct": c.is_correct, "count": counts.get(c.pk, 0)}
        for c in question.choices.all()
    ]


def result_summary(*, user: User) -> dict[str, Any]:
    """The learner's accuracy over every graded answer of their finished attempts, by subject
    and by topic, and their weakest topics (lowest accuracy first, at least two answers)."""
    answers = (
        UserAnswer.objects.filter(attempt__user=user, attempt__finished_at__isnull=False)
        .exclude(is_correct__isnull=True)
        .select_related("question__quiz__subject")
        .only("is_correct", "question__topics", "question__quiz__subject__name")
    )
    subjects: dict[int | None, list[Any]] = {}
    topics: dict[str, list[int]] = {}
    for answer in answers:
        subject = answer.question.quiz.subject
        key = subject.pk if subject else None
        row = subjects.setdefault(key, [subject.name if subject else None, 0, 0])
        row[1], row[2] = row[1] + 1, row[2] + int(bool(answer.is_correct))
        for topic in answer.question.topics or []:
            counts = topics.setdefault(str(topic), [0, 0])
            counts[0], counts[1] = counts[0] + 1, counts[1] + int(bool(answer.is_correct))
    topic_rows = [_accuracy({"topic": t}, n, ok) for t, (n, ok) in sorted(topics.items())]
    weakest = sorted(
        (r for r in topic_rows if r["answers"] >= 2), key=lambda r: (r["accuracy"], r["topic"])
    )
    return {
        "finished_attempts": QuizAttempt.objects.filter(
            user=user, finished_at__isnull=False
        ).count(),
        "subjects": [
            _accuracy({"subject": pk, "name": name}, n, ok)
            for pk, (name, n, ok) in subjects.items()
        ],
        "topics": topic_rows,
        "weakest_topics": [r["topic"] for r in weakest[:HARDEST_LIMIT]],
    }


def _accuracy(row: dict[str, Any], answers: int, correct: int) -> dict[str, Any]:
    return {**row, "answers": answers, "correct": correct, "accuracy": round(correct / answers, 4)}


# --- attempt rows -------------------------------------------------------------------------------


def answers_revealed(attempt: QuizAttempt) -> bool:
    """Whether the quiz's `show_answers` lets the learner see right answers now."""
    show = attempt.quiz.show_answers
    return show == ShowAnswers.IMMEDIATELY or (
        show == ShowAnswers.AFTER_FINISH and attempt.finished_at is not None
    )


def correct_answer(question: Question, choices: Iterable[Choice] | None = None) -> Any:
    """What a right answer looks like, in the shape `submit-answer` takes."""
    kind = question.question_type
    correct = [
        c.pk for c in (question.choices.all() if choices is None else choices) if c.is_correct
    ]
    if kind == QuestionType.MULTIPLE_CHOICE:
        return correct[0] if correct else None
    if kind == QuestionType.MULTIPLE_SELECT:
        return correct
    if kind == QuestionType.TRUE_FALSE:
        return question.accepted_answers == ["true"]
    return question.accepted_answers[0] if question.accepted_answers else None


def answer_row(answer: UserAnswer, question: Question, *, reveal: bool) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "question_id": question.pk,
        "answer": answer.answer,
        "status": answer.status,
        "is_correct": answer.is_correct,
        "score": answer.score,
        "max_score": question.points,
        "feedback": answer.feedback,
        "criteria": list(answer.criteria or []),
        "graded_by": answer.graded_by,
        "correct_answer": correct_answer(question) if reveal else None,
        "explanation": question.explanation if reveal else None,
    }


def attempt_question_row(question: Question, choices: list[Choice]) -> dict[str, Any]:
    """A question as the learner taking the attempt sees it: no answers."""
    return {
        "id": question.pk,
        "question_type": question.question_type,
        "text": question.text,
        "points": question.points,
        "difficulty": question.difficulty,
        "topics": list(question.topics or []),
        "choices": [{"id": c.pk, "text": c.text} for c in choices],
    }


def attempt_row(attempt: QuizAttempt, *, with_result: bool = True) -> dict[str, Any]:
    """An adaptive attempt lists only the questions it served (answered), in answer order."""
    adaptive = attempt.mode == AttemptMode.ADAPTIVE
    answers = list(UserAnswer.objects.filter(attempt=attempt).order_by("id")) if with_result else []
    drawn = attempt_questions(attempt) if answers or not adaptive else []
    if adaptive:
        by_id = {q.pk: (q, choices) for q, choices in drawn}
        drawn = [by_id[a.question_id] for a in answers if a.question_id in by_id]
    row: dict[str, Any] = {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "mode": attempt.mode,
        "started_at": attempt.started_at,
        "expires_at": attempt.expires_at,
        "questions": [attempt_question_row(q, choices) for q, choices in drawn],
    }
    if not with_result:
        return row
    reveal = answers_revealed(attempt)
    questions = {q.pk: q for q, _choices in drawn}
    return {
        **row,
        "finished_at": attempt.finished_at,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percentage": attempt.percentage,
        "passed": attempt.passed,
        "time_spent_seconds": attempt_time_spent(attempt),
        "answers": [
            answer_row(a, questions[a.question_id], reveal=reveal)
            for a in answers
            if a.question_id in questions
        ],
    }
