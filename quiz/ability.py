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

The shift's prior is as wide as the model is unsure of the learner: the population's spread
(1 logit) for a learner it has never seen, narrower once it has learned from their answers
(`prior_sd`).

The next question aims at a success that keeps the attempt inside the success band: the band's
middle, corrected by what the questions asked so far fell short of it or exceeded it (their
success predicted now, at the current estimate; see `aimed_success`). Of the questions whose
success, predicted over the whole posterior, lies near that aim, the most informative (Fisher
information p(1 - p) at the estimate) is asked; failing that, one inside the band, nearest the
aim; failing that, the one predicted nearest the band. Early on, the posterior is wide and the
predicted success of every question is pulled toward one half, so the choice is careful; it
sharpens as answers come in.

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
# The shift's prior standard deviation for a learner the model knows nothing about: the spread
# of abilities in a population (1 logit, the Rasch scale's unit as the authored levels use it).
PRIOR_SD: Final = 1.0
# How much one earlier answer told the model of the learner: the Fisher information p(1 - p) of
# an answer at 70-75% success, where practice questions sit (chosen on paper).
ANSWER_INFORMATION: Final = 0.2
# How far a learner's ability moves between the answers the model learned from and today's
# attempt (forgetting, learning elsewhere), in logits (chosen on paper).
DRIFT_SD: Final = 0.3


def prior_sd(observations: int) -> float:
    """How far the learner model's expectation may be from today's learner after it learned
    from `observations` of their answers: an efficient estimator's error, sqrt(1 / (1 + I n)),
    with the drift added, never more than the population's spread."""
    settled = 1.0 / (1.0 + ANSWER_INFORMATION * max(observations, 0))
    return min(PRIOR_SD, math.sqrt(DRIFT_SD**2 + settled))


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


class Posterior:
    """The shift's posterior on the grid, updated one answer at a time."""

    def __init__(self, spread: float = PRIOR_SD) -> None:
        self._log = [-0.5 * (shift / spread) ** 2 for shift in _GRID]

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


def estimate(answers: Sequence[tuple[float, bool]], spread: float = PRIOR_SD) -> Estimate:
    """The estimate after `answers`: (the question's logit at the start, whether the answer was
    right), in any order, from a prior of standard deviation `spread` (see `prior_sd`)."""
    posterior = Posterior(spread)
    for logit, correct in answers:
        posterior.update(logit, correct)
    return posterior.estimate()


def choose(
    logits: Sequence[float],
    current: Estimate,
    band: tuple[float, float],
    asked: Sequence[float] = (),
) -> int:
    """Index of the next question among candidates with the model's `logits`, after questions
    with the model's logits `asked`: the most informative at the estimate among those predicted
    near `aimed_success`; else one predicted inside the band, nearest the aim; else the one
    predicted nearest the band (ties: the earliest, the attempt's frozen order). Coarse pools
    (three authored levels) often have nothing near the aim."""
    low, high = band
    aim = aimed_success(current, band, asked)
    reach = (high - low) / 4
    near_low, near_high = max(low, aim - reach), min(high, aim + reach)

    def preference(index: int) -> tuple[float, float, float, int]:
        p = current.success(logits[index])
        outside_band = max(low - p, p - high, 0.0)
        off_aim = max(near_low - p, p - near_high, 0.0)
        return (outside_band, off_aim, -current.information(logits[index]), index)

    return min(range(len(logits)), key=preference)


def aimed_success(current: Estimate, band: tuple[float, float], asked: Sequence[float]) -> float:
    """The success the next question aims at so that the attempt's mean success reaches the
    band's middle: what the questions `asked` (the model's logits), predicted now at the
    current estimate, fell short of the middle is added to it, what they exceeded it by taken
    away; within the band. The most informative questions sit at the band's floor, but aiming
    there leaves about half the learners below it; aiming at the middle alone leaves those the
    first, uncertain questions misjudged outside it."""
    low, high = band
    middle = (low + high) / 2
    aim = middle * (len(asked) + 1) - sum(current.success(logit) for logit in asked)
    return min(max(aim, low), high)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _log_sigmoid(x: float) -> float:
    # log(sigmoid(x)) without overflow on either side.
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))
