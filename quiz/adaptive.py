"""Adaptive attempts: the next question is the one whose predicted success is in a target band.

The learner model lives in `personalization`, which imports quiz; quiz must not import it back.
So quiz asks through a port (`studymate_api.ports`): it declares what it needs, the
`SuccessPredictor` Protocol, and personalization provides one at start-up
(`PersonalizationConfig.ready`: `success_predictor_port.provide(...)`). Until one is provided,
predictions come from the authored difficulty alone (a learner of average ability on a Rasch
scale where easy/medium/hard sit at -1/0/+1), so adaptive mode still orders questions sensibly.

An adaptive attempt freezes the quiz's whole question pool at start (`question_order`) and
serves from it one question at a time: `attempt_next_question` is a pure read of the current
learner state, so asking again before answering returns the same question. The attempt ends
after `questions_per_attempt` answers (the whole pool when unset).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import Conflict, NotFound
from studymate_api.ports import Port

from .models import AttemptMode, Question, QuizAttempt, UserAnswer
from .selectors import attempt_question_row

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_BAND = (0.70, 0.85)
# Logit difficulty of the authored levels, for the fallback prediction.
_AUTHORED_LOGIT = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


@dataclass(frozen=True)
class Candidate:
    """A question as the success predictor sees it."""

    question_id: int
    difficulty: str  # authored: easy / medium / hard
    topics: tuple[str, ...]
    subject_id: int | None
    subject_name: str | None


class SuccessPredictor(Protocol):
    """What quiz asks of a learner model: P(correct) of the learner on each candidate, and the
    band of predicted success the next question should fall in (0 < low <= high < 1)."""

    @property
    def band(self) -> tuple[float, float]: ...

    def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]: ...


class AuthoredDifficulty:
    """The default: without a learner model every learner is average."""

    band = DEFAULT_BAND

    def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]:
        return [1.0 / (1.0 + math.exp(_AUTHORED_LOGIT.get(c.difficulty, 0.0))) for c in candidates]


def _check_band(predictor: SuccessPredictor) -> None:
    low, high = predictor.band
    if not 0.0 < low <= high < 1.0:
        raise ValueError("the target band must satisfy 0 < low <= high < 1")


success_predictor_port: Port[SuccessPredictor] = Port(
    "quiz.success_predictor", default=AuthoredDifficulty(), check=_check_band
)


def band_pick(predictions: Sequence[float], band: tuple[float, float]) -> int:
    """Index of the prediction inside `band` nearest its middle; the one nearest the band when
    none is inside. Ties go to the earliest (the attempt's frozen order)."""
    low, high = band
    middle = (low + high) / 2

    def distance(index: int) -> tuple[float, float, int]:
        p = predictions[index]
        return (max(low - p, p - high, 0.0), abs(p - middle), index)

    return min(range(len(predictions)), key=distance)


def attempt_length(attempt: QuizAttempt) -> int:
    """How many answers end an adaptive attempt."""
    pool = len(attempt.question_order)
    wanted = attempt.quiz.questions_per_attempt
    return pool if wanted is None else min(wanted, pool)


@dataclass(frozen=True)
class NextQuestion:
    question: dict[str, Any] | None  # `attempt_question_row`; None once the attempt is done
    predicted_success: float | None
    target_success_rate: tuple[float, float]
    answered: int
    remaining: int


def attempt_next_question(*, user: User, attempt_id: int) -> NextQuestion:
    """The unanswered pool question whose predicted success is in the band; none once the
    attempt has all its answers, is finished or its time is up. Another learner's attempt is
    a 404, a fixed attempt a 409."""
    attempt = _adaptive_attempt(user, attempt_id)
    predictor = success_predictor_port.get()
    band = predictor.band
    answered = set(UserAnswer.objects.filter(attempt=attempt).values_list("question_id", flat=True))
    remaining = max(0, attempt_length(attempt) - len(answered))
    if remaining == 0 or not _open(attempt):
        return NextQuestion(None, None, band, len(answered), 0)
    candidates = _candidates(attempt, answered)
    if not candidates:  # the owner deleted the rest of the pool
        return NextQuestion(None, None, band, len(answered), 0)
    predictions = predictor.predict(user.pk, [candidate for candidate, _q in candidates])
    index = band_pick(predictions, band)
    question = candidates[index][1]
    row = attempt_question_row(question, _ordered_choices(attempt, question))
    return NextQuestion(row, round(predictions[index], 4), band, len(answered), remaining)


def _open(attempt: QuizAttempt) -> bool:
    expired = attempt.expires_at is not None and timezone.now() > attempt.expires_at
    return attempt.finished_at is None and not expired


def _adaptive_attempt(user: User, attempt_id: int) -> QuizAttempt:
    attempt = (
        QuizAttempt.objects.select_related("quiz__subject").filter(user=user, pk=attempt_id).first()
    )
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    if not is_adaptive(attempt):
        raise Conflict(_("This attempt is not adaptive: its questions are all listed in it."))
    return attempt


def _candidates(attempt: QuizAttempt, answered: set[int]) -> list[tuple[Candidate, Question]]:
    subject = attempt.quiz.subject
    ids = [int(pk) for pk in attempt.question_order if int(pk) not in answered]
    by_id = Question.objects.in_bulk(ids)
    return [
        (
            Candidate(
                question_id=pk,
                difficulty=by_id[pk].difficulty,
                topics=tuple(str(t) for t in by_id[pk].topics or []),
                subject_id=subject.pk if subject else None,
                subject_name=subject.name if subject else None,
            ),
            by_id[pk],
        )
        for pk in ids
        if pk in by_id
    ]


def _ordered_choices(attempt: QuizAttempt, question: Question) -> list[Any]:
    by_id = {choice.pk: choice for choice in question.choices.all()}
    order = attempt.choice_order.get(str(question.pk), list(by_id))
    return [by_id[c] for c in order if c in by_id]


def is_adaptive(attempt: QuizAttempt) -> bool:
    return attempt.mode == AttemptMode.ADAPTIVE
