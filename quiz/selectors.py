"""Every read of the quiz domain, with the visibility and ownership checks built in."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer

from study.selectors import subject_cache_tags
from studymate_api.core.errors import NotFound, PermissionDenied

from .caching import quiz_cache, quiz_detail_key, quiz_tag
from .models import (
    CHOICE_TYPES,
    AnswerStatus,
    AttemptMode,
    Choice,
    GenerationStatus,
    Question,
    QuestionType,
    Quiz,
    QuizAttempt,
    ShowAnswers,
    UserAnswer,
)
from .serializers import QuizOutputSerializer, learner_view

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


def quiz_visibility(user: User, *, through: str = "") -> Q:
    """Public quizzes and the user's own: the one place the rule is written. A quiz the AI has
    not finished generating (pending or failed) is its owner's alone, public or not. `through`
    is the lookup path from another model to its quiz (`"question__quiz"`), to filter rows by
    it."""
    prefix = f"{through}__" if through else ""
    public = {f"{prefix}is_public": True, f"{prefix}generation_status": GenerationStatus.READY}
    return Q(**public) | Q(**{f"{prefix}owner": user})


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


def access_quiz(*, user: User, quiz_id: int) -> Quiz:
    """A quiz the user may see, with its questions; another user's private quiz is not found."""
    quiz = _with_questions(Quiz.objects.filter(quiz_visibility(user), pk=quiz_id)).first()
    if quiz is None:
        raise NotFound(_("Quiz not found."))
    return quiz


@dataclass(frozen=True)
class QuizDetail:
    """A quiz with its questions as `GET /quizzes/{id}/` answers it, rendered (JSON) for its
    owner and for everyone else, with what deciding between them needs."""

    owner_id: int | None  # None: its author's account was erased
    is_public: bool
    ready: bool  # generated (or written by hand), see `quiz_visibility`
    owner_body: bytes
    learner_body: bytes

    def visible_to(self, user: User) -> bool:
        # quiz_visibility's rule, applied to the cached row instead of in the query.
        return (self.is_public and self.ready) or self.owner_id == user.pk


def quiz_detail_tags(quiz_id: int) -> list[str]:
    """What a quiz's detail is read from: the quiz, and which subjects exist (deleting its
    subject files it under none)."""
    return [quiz_tag(quiz_id), *subject_cache_tags()]


def quiz_detail(*, user: User, quiz_id: int) -> bytes:
    """The JSON body of `GET /quizzes/{id}/` for the user: `access_quiz`'s rule and
    `QuizOutputSerializer`'s answers (correct answers only for the owner). Cached once per quiz
    for every viewer; who may see it, and which rendering, is decided on each read from the
    owner and visibility the value holds, so a warm read costs no query. Another user's private
    quiz, or none, is not found."""
    detail = quiz_cache.get_or_set(
        quiz_detail_key(quiz_id), lambda: _quiz_detail(quiz_id), tags=quiz_detail_tags(quiz_id)
    )
    if detail is None or not detail.visible_to(user):
        raise NotFound(_("Quiz not found."))
    return detail.owner_body if detail.owner_id == user.pk else detail.learner_body


def _quiz_detail(quiz_id: int) -> QuizDetail | None:
    """Three queries; None (cached too, until the quiz is created) when there is no such quiz."""
    quiz = _with_questions(Quiz.objects.filter(pk=quiz_id)).first()
    if quiz is None:
        return None
    owner = QuizOutputSerializer(quiz, context={"user_id": quiz.owner_id}).data
    # What the serializer answers anyone but the owner, without serializing twice: only the
    # questions differ, each hidden by the serializer's own `learner_view`.
    learner = {**owner, "questions": [learner_view(q) for q in owner["questions"]]}
    render = JSONRenderer().render
    ready = quiz.generation_status == GenerationStatus.READY
    return QuizDetail(quiz.owner_id, quiz.is_public, ready, render(owner), render(learner))


def quiz_get_owned(*, user: User, quiz_id: int) -> Quiz:
    """For edits: hidden quizzes are 404; a public quiz of someone else is 403."""
    quiz = access_quiz(user=user, quiz_id=quiz_id)
    if quiz.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner of a quiz can change it."))
    return quiz


def question_list(
    *, user: User, quiz_id: int | None = None, question_type: str | None = None
) -> QuerySet[Question]:
    questions = Question.objects.filter(quiz_visibility(user, through="quiz")).select_related(
        "quiz"
    )
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


def choice_list() -> QuerySet[Choice]:
    """Choices in the order their question shows them (for prefetching across apps)."""
    return Choice.objects.order_by("order", "id")


Row = TypeVar("Row", bound=Model)


def questions_shown(rows: QuerySet[Row], *, through: str, choices: bool = True) -> QuerySet[Row]:
    """Another app's `rows`, each pointing at a question through the relation `through`, with
    what `question_front_row`, `question_back_row` and `question_answer_revealed` read: the
    question and its quiz joined into the same query, and (with `choices`) the choices in the
    order shown in one more query for all the rows."""
    joined = rows.select_related(f"{through}__quiz")
    if choices:
        joined = joined.prefetch_related(Prefetch(f"{through}__choices", queryset=choice_list()))
    return joined


def question_front_row(question: Question) -> dict[str, Any]:
    """A question outside an attempt (a review card's front): no answers."""
    return {
        "id": question.pk,
        "quiz": question.quiz_id,
        "question_type": question.question_type,
        "text": question.text,
        "choices": [{"id": c.pk, "text": c.text} for c in question.choices.all()],
    }


def question_back_row(question: Question) -> dict[str, Any]:
    """The question's right answer and the author's explanation (check
    `question_answer_revealed` first)."""
    return {"correct_answer": correct_answer(question), "explanation": question.explanation}


def question_topics(*, subject_id: int) -> list[object]:
    """The topic tags of every question filed under the subject (one list per question)."""
    return list(
        Question.objects.filter(quiz__subject_id=subject_id).values_list("topics", flat=True)
    )


def question_answer_revealed(*, user: User, question: Question) -> bool:
    """Whether the user may see the question's right answer outside an attempt: the quiz's
    `show_answers` decides, and "after finishing" waits until no attempt of it is in progress."""
    show = question.quiz.show_answers
    if show == ShowAnswers.IMMEDIATELY:
        return True
    return show == ShowAnswers.AFTER_FINISH and not attempt_in_progress(
        user=user, quiz_id=question.quiz_id
    )


def quiz_popular(*, user: User, limit: int) -> list[dict[str, Any]]:
    """Other learners' public quizzes the user has not taken, by how many learners took them:
    `{id, title, difficulty, learners}`. One query."""
    taken = QuizAttempt.objects.filter(user=user).values("quiz_id")
    return list(
        Quiz.objects.filter(is_public=True, generation_status=GenerationStatus.READY)
        .exclude(owner=user)
        .exclude(pk__in=taken)
        .annotate(learners=Count("attempts__user", distinct=True))
        .order_by("-learners", "-created_at", "-id")
        .values("id", "title", "difficulty", "learners")[:limit]
    )


def quiz_newest_per_subject(
    *, user: User, subject_ids: Iterable[int], scanned: int
) -> dict[int, dict[str, Any]]:
    """Per subject, the newest quiz the user may take: `{id, title, difficulty}`, read from the
    `scanned` newest visible quizzes of those subjects. One query."""
    rows = (
        Quiz.objects.filter(
            quiz_visibility(user),
            subject_id__in=subject_ids,
            generation_status=GenerationStatus.READY,
        )
        .order_by("-created_at", "-id")
        .values("id", "title", "difficulty", "subject_id")[:scanned]
    )
    newest: dict[int, dict[str, Any]] = {}
    for row in rows:
        quiz = {"id": row["id"], "title": row["title"], "difficulty": row["difficulty"]}
        newest.setdefault(row["subject_id"], quiz)
    return newest


def answer_graded_get(*, answer_id: int) -> UserAnswer | None:
    """A graded answer with its attempt, question, quiz and subject; None unless it exists and
    has a grade."""
    return (
        UserAnswer.objects.select_related("attempt", "question__quiz__subject")
        .filter(pk=answer_id, status=AnswerStatus.GRADED, is_correct__isnull=False)
        .first()
    )


def answer_exists(answer_id: OuterRef) -> Exists:
    """Whether the answer `answer_id` names is still stored, as an expression: for the rows of
    another app that refer to answers by id (one query for all of them, none per row)."""
    return Exists(UserAnswer.objects.filter(pk=answer_id))


def subject_question_ids(*, subject_id: int) -> QuerySet[Question, int]:
    """The ids of the questions filed under the subject (a subquery where it is used)."""
    return Question.objects.filter(quiz__subject_id=subject_id).values_list("id", flat=True)


def question_level(question_id: OuterRef) -> Subquery:
    """The authored difficulty of the question `question_id` names, as an expression."""
    return Subquery(Question.objects.filter(pk=question_id).values("difficulty")[:1])


def answer_subject_topics(*, user: User) -> list[tuple[int | None, str | None, object]]:
    """The distinct `(subject id, subject name, question topics)` of the user's graded answers."""
    pairs = (
        UserAnswer.objects.filter(
            attempt__user=user, status=AnswerStatus.GRADED, is_correct__isnull=False
        )
        .order_by()  # the default ordering's columns would take part in DISTINCT
        .values_list(
            "question__quiz__subject_id", "question__quiz__subject__name", "question__topics"
        )
        .distinct()
    )
    return list(pairs)


def attempt_get(*, user: User, attempt_id: int) -> QuizAttempt:
    """Only the learner's own attempt; anyone else's is not found."""
    attempt = QuizAttempt.objects.select_related("quiz").filter(user=user, pk=attempt_id).first()
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    return attempt


def attempt_with_owner(*, attempt_id: int) -> QuizAttempt | None:
    """Any learner's attempt with its quiz and owner (one query), for work done on the owner's
    behalf (telling them it was graded), not for answering a request."""
    return QuizAttempt.objects.select_related("quiz", "user").filter(pk=attempt_id).first()


def attempt_essays_graded(attempt: QuizAttempt) -> bool:
    """Whether the attempt has essays and every one has its final grade (none still grading or
    waiting for the owner's review). One query."""
    essays = UserAnswer.objects.filter(attempt=attempt, question__question_type=QuestionType.ESSAY)
    counts = essays.aggregate(
        total=Count("pk"), pending=Count("pk", filter=~Q(status=AnswerStatus.GRADED))
    )
    return bool(counts["total"]) and not counts["pending"]


def attempt_in_progress(*, user: User, quiz_id: int) -> bool:
    """Whether the learner has an unfinished, unexpired attempt at the quiz."""
    open_ended = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return QuizAttempt.objects.filter(
        open_ended, user=user, quiz_id=quiz_id, finished_at__isnull=True
    ).exists()


def attempt_questions(
    attempt: QuizAttempt, *, known: dict[int, Question] | None = None
) -> list[tuple[Question, list[Choice]]]:
    """The attempt's questions and their choices in the frozen order. Two queries, one when
    `known` (questions already read, e.g. with the answers) holds them all."""
    ids = [int(pk) for pk in attempt.question_order]
    questions = dict(known or {})
    missing = [pk for pk in ids if pk not in questions]
    if missing:
        questions.update(Question.objects.in_bulk(missing))
    prefetch_related_objects(list(questions.values()), "choices")
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
    # Attempts with essays still waiting for a grade have not passed or failed yet.
    decided = [a for a in finished if a.passed is not None]
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
            round(sum(1 for a in decided if a.passed) / len(decided), 4) if decided else None
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


def attempt_row(
    attempt: QuizAttempt,
    *,
    with_result: bool = True,
    answers: Sequence[UserAnswer] | None = None,
) -> dict[str, Any]:
    """An adaptive attempt lists only the questions it served (answered), in answer order.
    `answers`: the attempt's answers with their questions in answer order, when the caller has
    just read them (a finish); otherwise they are read here."""
    adaptive = attempt.mode == AttemptMode.ADAPTIVE
    if not with_result:
        answers = []
    elif answers is None:
        answers = list(
            UserAnswer.objects.filter(attempt=attempt).select_related("question").order_by("id")
        )
    # The answered questions come with their answers: a finished attempt is two queries.
    known = {a.question_id: a.question for a in answers}
    drawn = attempt_questions(attempt, known=known) if answers or not adaptive else []
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
    pending = [a for a in answers if a.status != AnswerStatus.GRADED]
    return {
        **row,
        "finished_at": attempt.finished_at,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percentage": attempt.percentage,
        "passed": attempt.passed,
        "pending_essays": len(pending),
        "pending_points": round(sum(a.question.points for a in pending), 4),
        "time_spent_seconds": attempt_time_spent(attempt),
        "answers": [
            answer_row(a, questions[a.question_id], reveal=reveal)
            for a in answers
            if a.question_id in questions
        ],
    }


# --- data export --------------------------------------------------------------------------------


def quiz_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """The quiz section of a learner's data export (`accounts.data_export`): the quizzes they
    wrote with their questions and choices (answers included: they are the author's), their
    attempts, and every answer they gave (also as CSV). One query per table."""
    quizzes = Quiz.objects.filter(owner_id=user_id).order_by("created_at", "id")
    questions = Question.objects.filter(quiz__owner_id=user_id).order_by("quiz_id", "order", "id")
    choices = Choice.objects.filter(question__quiz__owner_id=user_id)
    attempts = QuizAttempt.objects.filter(user_id=user_id).order_by("started_at", "id")
    answers = UserAnswer.objects.filter(attempt__user_id=user_id).order_by("attempt_id", "id")
    return {
        "quizzes": list(
            quizzes.values(
                "id",
                "title",
                "subject_id",
                "difficulty",
                "time_limit_minutes",
                "is_public",
                "pass_percentage",
                "created_at",
                "updated_at",
            )
        ),
        "questions": list(
            questions.values(
                "id",
                "quiz_id",
                "question_type",
                "text",
                "points",
                "difficulty",
                "explanation",
                "topics",
                "accepted_answers",
                "rubric",
                "created_at",
            )
        ),
        "choices": list(
            choices.order_by("question_id", "order", "id").values(
                "id", "question_id", "text", "is_correct"
            )
        ),
        "attempts": list(
            attempts.values(
                "id",
                "quiz_id",
                "mode",
                "started_at",
                "expires_at",
                "finished_at",
                "score",
                "max_score",
                "percentage",
                "passed",
                quiz_title=F("quiz__title"),
            )
        ),
        "answers": list(
            answers.values(
                "id",
                "attempt_id",
                "question_id",
                "answer",
                "is_correct",
                "score",
                "feedback",
                "status",
                "graded_by",
                "graded_at",
                "created_at",
                quiz_id=F("attempt__quiz_id"),
                quiz_title=F("attempt__quiz__title"),
                question_text=F("question__text"),
            )
        ),
    }
