"""Adaptive attempts: computerized adaptive testing on the learner model's predictions.

The learner model lives in `personalization`, which imports quiz; quiz must not import it back.
So quiz asks through a port (`studymate_api.ports`): it declares what it needs, the
`SuccessPredictor` Protocol, and personalization provides one at start-up
(`PersonalizationConfig.ready`: `success_predictor_port.provide(...)`). Until one is provided,
predictions come from the authored difficulty alone (a learner of average ability on a Rasch
scale where easy/medium/hard sit at -1/0/+1).

An adaptive attempt freezes the quiz's whole question pool at start (`question_order`) with the
model's predicted log-odds of success on each question then (`adaptive_state["logits"]`). The
attempt keeps its own ability estimate from its answers and those frozen predictions
(`quiz.ability`: EAP with a standard error, nothing else moving it, from a prior as wide as the
model is unsure of the learner, `adaptive_state["prior_sd"]`) and serves the most informative
question among those predicted near the success it aims at (the band's middle, corrected by how
the questions asked so far went), one at a time:
`attempt_next_question` is a pure read, so asking again before answering returns the same
question.

It asks `questions_per_attempt` questions, or half the pool when the quiz does not say: choosing
which to ask is what adapts. A pool under twice the attempt's length is too small to adapt (the
attempt asks nearly everything whatever the answers) and the next-question answer says so
(`adapting: false`). With `stop_at_standard_error` the attempt ends early once the estimate is
that precise (after at least `MIN_ANSWERS_BEFORE_STOP` answers).
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

from . import ability
from .models import AttemptMode, Question, Quiz, QuizAttempt, UserAnswer
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
    """What quiz asks of a learner model: P(correct) of the learner on each candidate, how many
    of the learner's answers in a subject it has learned from (how sure those predictions are),
    and the band of predicted success the next question should fall in (0 < low <= high < 1)."""

    @property
    def band(self) -> tuple[float, float]: ...

    def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]: ...

    def observations(self, user_id: int, subject_id: int | None) -> int: ...


class AuthoredDifficulty:
    """The default: without a learner model every learner is average."""

    band = DEFAULT_BAND

    def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]:
        return [1.0 / (1.0 + math.exp(_AUTHORED_LOGIT.get(c.difficulty, 0.0))) for c in candidates]

    def observations(self, user_id: int, subject_id: int | None) -> int:
        return 0


def _check_band(predictor: SuccessPredictor) -> None:
    low, high = predictor.band
    if not 0.0 < low <= high < 1.0:
        raise ValueError("the target band must satisfy 0 < low <= high < 1")


success_predictor_port: Port[SuccessPredictor] = Port(
    "quiz.success_predictor", default=AuthoredDifficulty(), check=_check_band
)


# An early stop needs a few answers whatever the standard error says.
MIN_ANSWERS_BEFORE_STOP = 5
# Predictions are clamped off 0 and 1 before their log-odds are taken.
_EDGE = 1e-4


def attempt_length(attempt: QuizAttempt) -> int:
    """How many answers end an adaptive attempt: `questions_per_attempt` (at most the pool),
    else half the pool (at least one question)."""
    pool = len(attempt.question_order)
    wanted = attempt.quiz.questions_per_attempt
    return max(1, pool // 2) if wanted is None else min(wanted, pool)


def start_state(
    *, user: User, quiz: Quiz, questions: Sequence[Question], stop_at_standard_error: float | None
) -> dict[str, Any]:
    """What an adaptive attempt freezes at its start: the model's predictions on the pool, and
    how far the learner may be from them (the prior of the attempt's estimate)."""
    candidates = [_candidate(question, quiz) for question in questions]
    predictor = success_predictor_port.get()
    predictions = predictor.predict(user.pk, candidates)
    logits = {str(c.question_id): _logit(p) for c, p in zip(candidates, predictions, strict=True)}
    prior_sd = ability.prior_sd(predictor.observations(user.pk, quiz.subject_id))
    return {
        "logits": logits,
        "prior_sd": round(prior_sd, 4),
        "stop_at_standard_error": stop_at_standard_error,
    }


@dataclass(frozen=True)
class NextQuestion:
    question: dict[str, Any] | None  # `attempt_question_row`; None once the attempt is done
    predicted_success: float | None
    target_success_rate: tuple[float, float]
    answered: int
    remaining: int
    ability_vs_expected: float  # the estimate, in logits above the model's expectation
    standard_error: float
    adapting: bool  # False: the pool is too small to choose from


def attempt_next_question(*, user: User, attempt_id: int) -> NextQuestion:
    """The most informative unanswered pool question predicted in the band; none once the
    attempt has all its answers (or a precise enough estimate), is finished or its time is up.
    Another learner's attempt is a 404, a fixed attempt a 409."""
    attempt = _adaptive_attempt(user, attempt_id)
    predictor = success_predictor_port.get()
    band = predictor.band
    graded = list(
        UserAnswer.objects.filter(attempt=attempt).values_list("question_id", "is_correct")
    )
    answered = {question_id for question_id, _correct in graded}
    length = attempt_length(attempt)
    adapting = len(attempt.question_order) >= 2 * length
    logits = _frozen_logits(attempt)
    current = ability.estimate(
        [
            (logits[str(question_id)], bool(correct))
            for question_id, correct in graded
            if correct is not None and str(question_id) in logits
        ],
        _prior_sd(attempt),
    )
    asked = [logits[str(question_id)] for question_id, _c in graded if str(question_id) in logits]
    remaining = max(0, length - len(answered))
    if _stops(attempt, current, len(answered)):
        remaining = 0
    done = NextQuestion(
        None, None, band, len(answered), 0, current.shift, current.standard_error, adapting
    )
    if remaining == 0 or not _open(attempt):
        return done
    candidates = _candidates(attempt, answered)
    if not candidates:  # the owner deleted the rest of the pool
        return done
    missing = [c for c, _q in candidates if str(c.question_id) not in logits]
    if missing:  # an attempt started before predictions were frozen: the model's current ones
        for c, p in zip(missing, predictor.predict(user.pk, missing), strict=True):
            logits[str(c.question_id)] = _logit(p)
    candidate_logits = [logits[str(c.question_id)] for c, _q in candidates]
    index = ability.choose(candidate_logits, current, band, asked)
    question = candidates[index][1]
    row = attempt_question_row(question, _ordered_choices(attempt, question))
    predicted = round(current.success(candidate_logits[index]), 4)
    return NextQuestion(
        row,
        predicted,
        band,
        len(answered),
        remaining,
        round(current.shift, 4),
        round(current.standard_error, 4),
        adapting,
    )


def _frozen_logits(attempt: QuizAttempt) -> dict[str, float]:
    raw = (attempt.adaptive_state or {}).get("logits") or {}
    return {str(key): float(value) for key, value in raw.items()}


def _prior_sd(attempt: QuizAttempt) -> float:
    """Frozen at the start; attempts started before it was, the population's spread."""
    return float((attempt.adaptive_state or {}).get("prior_sd") or ability.PRIOR_SD)


def _stops(attempt: QuizAttempt, current: ability.Estimate, answered: int) -> bool:
    stop_at = (attempt.adaptive_state or {}).get("stop_at_standard_error")
    return (
        stop_at is not None
        and answered >= MIN_ANSWERS_BEFORE_STOP
        and current.standard_error <= float(stop_at)
    )


def _logit(p: float) -> float:
    p = min(max(p, _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


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
    ids = [int(pk) for pk in attempt.question_order if int(pk) not in answered]
    by_id = Question.objects.in_bulk(ids)
    return [(_candidate(by_id[pk], attempt.quiz), by_id[pk]) for pk in ids if pk in by_id]


def _candidate(question: Question, quiz: Quiz) -> Candidate:
    subject = quiz.subject
    return Candidate(
        question_id=question.pk,
        difficulty=question.difficulty,
        topics=tuple(str(t) for t in question.topics or []),
        subject_id=subject.pk if subject else None,
        subject_name=subject.name if subject else None,
    )


def _ordered_choices(attempt: QuizAttempt, question: Question) -> list[Any]:
    by_id = {choice.pk: choice for choice in question.choices.all()}
    order = attempt.choice_order.get(str(question.pk), list(by_id))
    return [by_id[c] for c in order if c in by_id]


def is_adaptive(attempt: QuizAttempt) -> bool:
    return attempt.mode == AttemptMode.ADAPTIVE
