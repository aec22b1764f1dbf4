"""The adaptive attempt's estimator and question choice (`quiz.ability`), as pure functions."""

from __future__ import annotations

import math
import random

import pytest

from quiz import ability

BAND = (0.70, 0.85)


def test_the_estimate_depends_on_the_answers_not_their_order() -> None:
    rng = random.Random(3)
    answers = [(rng.uniform(-2, 2), rng.random() < 0.6) for _ in range(12)]
    forward, backward = ability.estimate(answers), ability.estimate(answers[::-1])
    assert forward.shift == pytest.approx(backward.shift)
    assert forward.standard_error == pytest.approx(backward.standard_error)


def test_the_prior_alone_and_more_answers_narrow_it() -> None:
    prior = ability.estimate([])
    assert prior.shift == pytest.approx(0.0, abs=1e-9)
    assert prior.standard_error == pytest.approx(ability.PRIOR_SD, abs=0.01)
    errors = [ability.estimate([(0.0, n % 2 == 0)] * n).standard_error for n in (2, 8, 32)]
    assert errors == sorted(errors, reverse=True)


def test_the_estimate_is_the_posterior_mean() -> None:
    """Against a fine numerical integral of prior x likelihood."""
    answers = [(0.5, True), (-0.3, False), (1.2, True), (0.0, True)]
    grid = [-6 + i * 0.001 for i in range(12001)]

    def weight(shift: float) -> float:
        w = math.exp(-0.5 * shift**2)
        for logit, correct in answers:
            p = 1 / (1 + math.exp(-(shift + logit)))
            w *= p if correct else 1 - p
        return w

    weights = [weight(x) for x in grid]
    mean = sum(w * x for w, x in zip(weights, grid, strict=True)) / sum(weights)
    assert ability.estimate(answers).shift == pytest.approx(mean, abs=0.01)


def test_the_choice_is_the_most_informative_inside_the_band() -> None:
    current = ability.Estimate(0.0, 0.1)
    # Predicted success 0.50, 0.78, 0.82, 0.95: the two inside the target part, and of them
    # the more informative (nearer one half).
    logits = [0.0, math.log(0.78 / 0.22), math.log(0.82 / 0.18), math.log(0.95 / 0.05)]
    assert ability.choose(logits, current, BAND) == 1


def test_the_band_comes_before_its_target_part() -> None:
    """Three authored levels: 0.87 is nearer the target part (0.775-0.85) than 0.74, but 0.74
    is inside the band."""
    current = ability.Estimate(0.0, 0.05)
    logits = [math.log(0.87 / 0.13), math.log(0.74 / 0.26), -1.0]
    assert ability.choose(logits, current, BAND) == 1


def test_without_a_question_in_the_band_the_nearest_is_chosen() -> None:
    current = ability.Estimate(0.0, 0.1)
    logits = [-3.0, -1.0, 4.0]  # 0.05, 0.27, 0.98
    assert ability.choose(logits, current, BAND) == 2


def test_uncertainty_makes_the_choice_careful() -> None:
    """A wide posterior pulls every prediction toward one half, so an easier question is
    needed to be predicted in the band."""
    logits = [x / 10 for x in range(-20, 41)]
    sure, unsure = ability.Estimate(0.0, 0.05), ability.Estimate(0.0, 1.5)
    assert logits[ability.choose(logits, unsure, BAND)] > logits[ability.choose(logits, sure, BAND)]


def test_the_prior_narrows_as_the_model_learns_from_the_learner() -> None:
    spreads = [ability.prior_sd(n) for n in (0, 5, 20, 100, 10_000)]
    assert spreads[0] == pytest.approx(ability.PRIOR_SD)
    assert spreads == sorted(spreads, reverse=True)
    # Never surer than the learner's drift since the model's answers allows.
    assert spreads[-1] == pytest.approx(ability.DRIFT_SD, abs=0.01)
    assert ability.estimate([], ability.prior_sd(20)).standard_error == pytest.approx(
        ability.prior_sd(20), abs=0.01
    )


def test_a_narrow_prior_moves_less_on_the_same_answers() -> None:
    answers = [(0.0, True)] * 6
    wide, narrow = ability.estimate(answers, 1.0), ability.estimate(answers, 0.4)
    assert 0 < narrow.shift < wide.shift


def test_the_aim_makes_up_for_the_questions_asked_so_far() -> None:
    current = ability.Estimate(0.0, 0.05)
    assert ability.aimed_success(current, BAND, []) == pytest.approx(0.775)
    # Two questions the learner had even chances on: the next aims high to pull the mean up...
    assert ability.aimed_success(current, BAND, [0.0, 0.0]) == pytest.approx(0.85)
    # ...two they were sure to get right: it aims low; never outside the band.
    assert ability.aimed_success(current, BAND, [5.0, 5.0]) == pytest.approx(0.70)
    slightly_hard = math.log(0.74 / 0.26)
    assert ability.aimed_success(current, BAND, [slightly_hard]) == pytest.approx(0.81, abs=1e-3)


def test_a_struggling_learner_gets_an_easier_question() -> None:
    current = ability.Estimate(0.0, 0.05)
    logits = [math.log(p / (1 - p)) for p in (0.71, 0.76, 0.80, 0.84)]
    assert ability.choose(logits, current, BAND) == 1
    assert ability.choose(logits, current, BAND, asked=[0.0, 0.0]) == 3
    assert ability.choose(logits, current, BAND, asked=[4.0, 4.0, 4.0]) == 0
