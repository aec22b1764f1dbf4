"""An adaptive attempt's own ability estimate and its choice of the next question.

Within one attempt the learner's ability is taken to stay put, and every question's chance of
success is what the learner model predicted when the attempt started, shifted by one number:
P(correct on i) = sigmoid(shift + logit_i), where `logit_i` is the model's predicted log-odds
at the start (frozen then: the model keeps learning from this attempt's answers, and counting
them again here would count them twice) and `shift` is how much better or worse the learner
does today than the model expected. The shift's prior is normal around 0 (the model is right
on average) and its posterior, given the attempt's answers, is computed on a grid: its mean is
the estimate (EAP, expected a posteriori) and its standard deviation the standard error. Nothing
else moves it: no momentum, no practice counts.

The next question is the most informative one (Fisher information p(1 - p) at the estimate)
among those whose success, predicted over the whole posterior, lies in the target part of the
success band (its upper half: see `target_floor`); failing that, one inside the band; failing
that, the one predicted nearest the band. Early on, the posterior is wide and the predicted
success of every question is pulled toward one half, so the choice is careful; it sharpens as
answers come in.

Pure functions of numbers: `bench/cat_bench.py` simulates learners with known abilities through
them, and `quiz.adaptive` serves attempts with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

# The grid of the shift, in logits: wide enough for any learner against any model's prediction.
_GRID: Final = tuple(-5.0 + 0.125 * step for step in range(81))
# The shift's prior standard deviation: a learner can differ from the model's expectation by
# about a logit either way on a given day (tuned on the simulation's fitting seeds only).
PRIOR_SD: Final = 1.0
_LOG_PRIOR: Final = tuple(-0.5 * (shift / PRIOR_SD) ** 2 for shift in _GRID)


@dataclass(frozen=True)
class Estimate:
    """The attempt's shift (logits above the model's expectation) and its standard error."""

    shift: float
    standard_error: float

    def success(self, logit: float) -> float:
        """Predicted success of a question with the model's `logit`, over the posterior (the
        probit approximation of the logistic-normal integral, MacKay 1992): uncertainty pulls
        it toward one half."""
        spread = math.sqrt(1.0 + math.pi * self.standard_error**2 / 8.0)
        return _sigmoid((self.shift + logit) / spread)

    def information(self, logit: float) -> float:
        """Fisher information of a question with the model's `logit` at the estimate."""
        p = _sigmoid(self.shift + logit)
        return p * (1.0 - p)


PRIOR: Final = Estimate(0.0, PRIOR_SD)


class Posterior:
    """The shift's posterior on the grid, updated one answer at a time."""

    def __init__(self) -> None:
        self._log = list(_LOG_PRIOR)

    def update(self, logit: float, correct: bool) -> None:
        """One answer: the question's logit at the start, and whether it was right."""
        sign = 1.0 if correct else -1.0
        self._log = [
            value + _log_sigmoid(sign * (shift + logit))
            for value, shift in zip(self._log, _GRID, strict=True)
        ]

    def estimate(self) -> Estimate:
        top = max(self._log)
        weights = [math.exp(value - top) for value in self._log]
        total = sum(weights)
        mean = sum(w * shift for w, shift in zip(weights, _GRID, strict=True)) / total
        variance = (
            sum(w * (shift - mean) ** 2 for w, shift in zip(weights, _GRID, strict=True)) / total
        )
        return Estimate(mean, math.sqrt(variance))


def estimate(answers: Sequence[tuple[float, bool]]) -> Estimate:
    """The estimate after `answers`: (the question's logit at the start, whether the answer was
    right), in any order."""
    posterior = Posterior()
    for logit, correct in answers:
        posterior.update(logit, correct)
    return posterior.estimate()


def choose(logits: Sequence[float], current: Estimate, band: tuple[float, float]) -> int:
    """Index of the next question among candidates with the model's `logits`: the most
    informative at the estimate among those predicted inside the band's target part; else one
    predicted inside the band, nearest that part; else the one predicted nearest the band (ties:
    the earliest, the attempt's frozen order). Coarse pools (three authored levels) often have
    nothing in the target part."""
    low, high = band
    floor = target_floor(band)

    def preference(index: int) -> tuple[float, float, float, int]:
        p = current.success(logits[index])
        outside_band = max(low - p, p - high, 0.0)
        outside_target = max(floor - p, p - high, 0.0)
        return (outside_band, outside_target, -current.information(logits[index]), index)

    return min(range(len(logits)), key=preference)


def target_floor(band: tuple[float, float]) -> float:
    """The lowest predicted success a question is chosen at. The most informative questions sit
    at the band's floor, but aiming there leaves about half the learners below it; aiming at
    the band's middle keeps the estimate's errors inside the band."""
    low, high = band
    return (low + high) / 2


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _log_sigmoid(x: float) -> float:
    # log(sigmoid(x)) without overflow on either side.
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))
