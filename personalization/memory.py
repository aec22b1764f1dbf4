"""FSRS-6's memory model in plain floats: replaying a card's ratings, the log loss of a set of
parameters on a review log, fitting one learner's parameters, and projecting a review workload.

No Django imports: `bench/fsrs_bench.py` fits simulated learners with exactly this code, and
`personalization.services.reviews` stores what it fits and hands it to `fsrs.Scheduler`.

Why not `fsrs.Optimizer`: in fsrs 6.3.2 it needs torch, numpy, pandas and tqdm (the `optimizer`
extra); torch alone is hundreds of megabytes of wheels, for 21 numbers a learner. The memory
model is a handful of float operations a review, so the loss is computed here directly, and its
gradient by finite differences.

The replay follows `fsrs.Scheduler.review_card` exactly (a test holds it to the package): the
first rating sets the initial stability and difficulty; a rating less than a day (whole days,
`timedelta.days`) after the previous one uses the short-term stability; any later rating first
predicts recall, R = (1 + FACTOR * elapsed_days / S) ** DECAY, then updates stability by the
recall or forget formula; every rating after the first updates difficulty. The card's state
(learning, review, relearning) changes only its intervals, never these numbers, so a card's
memory is a function of its ratings and their times alone.

Fitting (`fit_parameters`): minimize the mean binary cross-entropy of R against recall (any
rating but Again), over the ratings that come a day or more after the previous one (as
fsrs.Optimizer scores them), plus a Gaussian prior around the default parameters whose weight
shrinks as the log grows (PRIOR_SCALES, one pseudo-review per parameter). Adam on the
parameters in prior-scale units, the gradient by forward differences, a cosine learning-rate
decay, clipped to fsrs's bounds; the best iterate (by penalized loss) wins.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

DEFAULTS: tuple[float, ...] = tuple(DEFAULT_PARAMETERS)
LOWER: tuple[float, ...] = tuple(LOWER_BOUNDS_PARAMETERS)
UPPER: tuple[float, ...] = tuple(UPPER_BOUNDS_PARAMETERS)
N_PARAMETERS = len(DEFAULTS)

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
STABILITY_MIN = 0.001
# How far a parameter typically sits from its default across learners (our choice, of the
# order of the spread of FSRS parameters fitted on Anki collections): the prior's unit, and the
# optimizer's. The initial stabilities (the first four) vary over orders of magnitude, so they
# are fitted as logarithms, their unit a factor of e; the others in their own units.
LOG_FITTED = 4
PRIOR_SCALES: tuple[float, ...] = (
    1.0, 1.0, 1.0, 1.0,  # initial stability by first rating (log)
    0.6, 0.3, 0.6, 0.1,  # initial difficulty, its rating slope, difficulty step, mean reversion
    0.4, 0.2, 0.3,  # recall stability: scale, stability decay, retrievability gain
    0.3, 0.1, 0.2, 0.6,  # forget stability: scale, difficulty, stability, retrievability
    0.25, 1.0,  # hard penalty, easy bonus
    0.3, 0.3, 0.15,  # short-term stability
    0.25,  # decay of the forgetting curve
)  # fmt: skip
PRIOR_WEIGHT = 1.0
FIT_ITERATIONS = 80
LEARNING_RATE = 0.05
FINITE_STEP = 1e-4
# Ratings scored in the log loss only come at least this many whole days after the previous one.
MIN_SCORED_DAYS = 1
# Cards whose first ratings fit: their first 64, as fsrs.Optimizer (a card's early history is
# what the model is about; a long-lived card would weigh in too much).
MAX_RATINGS_PER_CARD = 64
_EPS = 1e-7
# The workload projection simulates at most this many cards (a few ms each hundred).
MAX_SIMULATED_CARDS = 2000


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating of a card: whole days since the card's previous rating (None for its first),
    the rating (1-4), and whether it counts in a loss (a held-out evaluation scores only the
    later ones, replaying the earlier ones for the memory they built)."""

    elapsed_days: int | None
    rating: int
    scored: bool = True


History = Sequence[Rating]
# A card's ratings with their times, in time order (what the review log holds).
Timed = Sequence[tuple[datetime.datetime, int]]


def histories_of(
    cards: Iterable[Timed],
    *,
    until: datetime.datetime | None = None,
    scored_from: datetime.datetime | None = None,
) -> list[list[Rating]]:
    """The cards' ratings before `until` (all when None), as the replay reads them: whole days
    since the previous rating (`timedelta.days`, as fsrs counts them), those from `scored_from`
    on scored (all when None)."""
    histories = []
    for reviews in cards:
        steps: list[Rating] = []
        previous: datetime.datetime | None = None
        for at, rating in reviews:
            if until is not None and at >= until:
                break
            elapsed = None if previous is None else (at - previous).days
            steps.append(Rating(elapsed, rating, scored_from is None or at >= scored_from))
            previous = at
        if steps:
            histories.append(steps)
    return histories


def clip(parameters: Sequence[float]) -> tuple[float, ...]:
    return tuple(min(max(w, LOWER[i]), UPPER[i]) for i, w in enumerate(parameters))


def valid(parameters: object) -> TypeGuard[list[float] | tuple[float, ...]]:
    """Whether a stored value is a full set of parameters within fsrs's bounds."""
    if not isinstance(parameters, list | tuple) or len(parameters) != N_PARAMETERS:
        return False
    return all(
        isinstance(w, int | float) and LOWER[i] <= w <= UPPER[i] for i, w in enumerate(parameters)
    )


def forgetting_curve(w: Sequence[float]) -> tuple[float, float]:
    """(DECAY, FACTOR) of R = (1 + FACTOR * t / S) ** DECAY, so that R(S) = 0.9."""
    decay = -w[20]
    return decay, 0.9 ** (1 / decay) - 1


def initial_difficulty(w: Sequence[float], rating: int) -> float:
    return w[4] - math.exp(w[5] * (rating - 1)) + 1


def next_difficulty(w: Sequence[float], difficulty: float, rating: int) -> float:
    damped = difficulty + (10.0 - difficulty) * (-w[6] * (rating - 3)) / 9.0
    reverted = w[7] * initial_difficulty(w, EASY) + (1 - w[7]) * damped
    return min(max(reverted, 1.0), 10.0)


def short_term_stability(w: Sequence[float], stability: float, rating: int) -> float:
    increase = math.exp(w[17] * (rating - 3 + w[18])) * math.pow(stability, -w[19])
    if rating >= HARD:
        increase = max(increase, 1.0)
    return max(stability * increase, STABILITY_MIN)


def next_stability(
    w: Sequence[float], difficulty: float, stability: float, recall: float, rating: int
) -> float:
    if rating == AGAIN:
        long_term = (
            w[11]
            * math.pow(difficulty, -w[12])
            * (math.pow(stability + 1, w[13]) - 1)
            * math.exp((1 - recall) * w[14])
        )
        after = min(long_term, stability / math.exp(w[17] * w[18]))
    else:
        bonus = (w[15] if rating == HARD else 1.0) * (w[16] if rating == EASY else 1.0)
        after = stability * (
            1
            + math.exp(w[8])
            * (11 - difficulty)
            * math.pow(stability, -w[9])
            * (math.exp((1 - recall) * w[10]) - 1)
            * bonus
        )
    return max(after, STABILITY_MIN)


@dataclass(slots=True)
class Memory:
    """A card's memory state after its ratings so far (None before the first)."""

    stability: float | None = None
    difficulty: float | None = None

    def recall(self, w: Sequence[float], elapsed_days: float) -> float:
        if self.stability is None:
            return 0.0
        decay, factor = forgetting_curve(w)
        return math.pow(1 + factor * max(elapsed_days, 0.0) / self.stability, decay)

    def rate(self, w: Sequence[float], rating: int, elapsed_days: int | None) -> None:
        """`elapsed_days`: whole days since the previous rating (the recall it predicts)."""
        if self.stability is None or self.difficulty is None:
            self.stability = max(w[rating - 1], STABILITY_MIN)
            self.difficulty = min(max(initial_difficulty(w, rating), 1.0), 10.0)
            return
        days = elapsed_days or 0
        if days < 1:
            self.stability = short_term_stability(w, self.stability, rating)
        else:
            recall = self.recall(w, days)
            self.stability = next_stability(w, self.difficulty, self.stability, recall, rating)
        self.difficulty = next_difficulty(w, self.difficulty, rating)


def log_loss(parameters: Sequence[float], histories: Iterable[History]) -> tuple[float, int]:
    """Summed cross-entropy of predicted recall against recall (any rating but Again) over the
    scored ratings a day or more after the previous one, and how many there were. The replay
    inlines `Memory` (this is the optimizer's inner loop)."""
    w = parameters
    decay, factor = forgetting_curve(w)
    d_easy = initial_difficulty(w, EASY)
    w7, w6 = w[7], w[6]
    long_scale, d_exp, s_exp, r_forget = w[11], w[12], w[13], w[14]
    short_forget = math.exp(w[17] * w[18])
    recall_scale, s_decay, r_gain = math.exp(w[8]), w[9], w[10]
    bonus = {HARD: w[15], GOOD: 1.0, EASY: w[16]}
    initial = [min(max(initial_difficulty(w, g), 1.0), 10.0) for g in (1, 2, 3, 4)]
    short_gain = [math.exp(w[17] * (g - 3 + w[18])) for g in (1, 2, 3, 4)]
    w19 = w[19]
    total, count = 0.0, 0
    log = math.log
    exp = math.exp
    for history in histories:
        s = d = 0.0
        first = True
        for step in history[:MAX_RATINGS_PER_CARD]:
            g = step.rating
            if first:
                s, d, first = max(w[g - 1], STABILITY_MIN), initial[g - 1], False
                continue
            days = step.elapsed_days or 0
            if days < MIN_SCORED_DAYS:
                increase = short_gain[g - 1] * s**-w19
                if g >= HARD and increase < 1.0:
                    increase = 1.0
                s = s * increase
            else:
                r = (1 + factor * days / s) ** decay
                if step.scored:
                    p = min(max(r, _EPS), 1 - _EPS)
                    total -= log(p) if g > AGAIN else log(1 - p)
                    count += 1
                if g == AGAIN:
                    long_term = (
                        long_scale * d**-d_exp * ((s + 1) ** s_exp - 1) * exp((1 - r) * r_forget)
                    )
                    s = min(long_term, s / short_forget)
                else:
                    s = s * (
                        1
                        + recall_scale
                        * (11 - d)
                        * s**-s_decay
                        * (exp((1 - r) * r_gain) - 1)
                        * bonus[g]
                    )
            if s < STABILITY_MIN:
                s = STABILITY_MIN
            damped = d + (10.0 - d) * (-w6 * (g - 3)) / 9.0
            d = w7 * d_easy + (1 - w7) * damped
            d = 1.0 if d < 1.0 else 10.0 if d > 10.0 else d
    return total, count


def mean_log_loss(parameters: Sequence[float], histories: Iterable[History]) -> float | None:
    total, count = log_loss(parameters, histories)
    return total / count if count else None


def scored_ratings(histories: Iterable[History]) -> int:
    """How many ratings a fit would score (see `log_loss`)."""
    return sum(
        1
        for history in histories
        for index, step in enumerate(history[:MAX_RATINGS_PER_CARD])
        if index > 0 and step.scored and (step.elapsed_days or 0) >= MIN_SCORED_DAYS
    )


@dataclass(frozen=True)
class Fit:
    parameters: tuple[float, ...]
    ratings: int  # the scored ratings the fit saw
    default_loss: float  # mean log loss of the defaults on them
    fitted_loss: float  # and of the fitted parameters (in-sample)


def fit_parameters(
    histories: Sequence[History],
    *,
    iterations: int = FIT_ITERATIONS,
    start: Sequence[float] = DEFAULTS,
) -> Fit:
    """The parameters that best predict these cards' recalls (see the module's docstring).
    Deterministic; CPU time ~ 22 * iterations replays of the log."""
    cards = [history for history in histories if len(history) > 1]
    n = max(scored_ratings(cards), 1)
    prior = PRIOR_WEIGHT / n

    def objective(z: Sequence[float]) -> tuple[float, tuple[float, ...]]:
        w = _parameters(z)
        total, _count = log_loss(w, cards)
        return total / n + prior * sum(v * v for v in z), w

    z = _coordinates(start)
    moment = [0.0] * N_PARAMETERS
    square = [0.0] * N_PARAMETERS
    beta1, beta2 = 0.9, 0.999
    value, w = objective(z)
    best_value, best = value, w
    for iteration in range(1, iterations + 1):
        gradient = []
        for i in range(N_PARAMETERS):
            shifted = list(z)
            shifted[i] += FINITE_STEP
            gradient.append((objective(shifted)[0] - value) / FINITE_STEP)
        rate = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * (iteration - 1) / iterations))
        for i, g in enumerate(gradient):
            moment[i] = beta1 * moment[i] + (1 - beta1) * g
            square[i] = beta2 * square[i] + (1 - beta2) * g * g
            m_hat = moment[i] / (1 - beta1**iteration)
            v_hat = square[i] / (1 - beta2**iteration)
            z[i] -= rate * m_hat / (math.sqrt(v_hat) + 1e-8)
        # Back inside the bounds, so the finite differences see the clipped objective's slope.
        z = _coordinates(_parameters(z))
        value, w = objective(z)
        if value < best_value:
            best_value, best = value, w
    default_total, count = log_loss(DEFAULTS, cards)
    fitted_total, _count = log_loss(best, cards)
    return Fit(
        parameters=best,
        ratings=count,
        default_loss=default_total / max(count, 1),
        fitted_loss=fitted_total / max(count, 1),
    )


def _parameters(z: Sequence[float]) -> tuple[float, ...]:
    """Parameters from the optimizer's coordinates (0: the defaults), clipped to the bounds."""
    return clip(
        [
            DEFAULTS[i] * math.exp(z[i] * PRIOR_SCALES[i])
            if i < LOG_FITTED
            else DEFAULTS[i] + z[i] * PRIOR_SCALES[i]
            for i in range(N_PARAMETERS)
        ]
    )


def _coordinates(w: Sequence[float]) -> list[float]:
    return [
        math.log(w[i] / DEFAULTS[i]) / PRIOR_SCALES[i]
        if i < LOG_FITTED
        else (w[i] - DEFAULTS[i]) / PRIOR_SCALES[i]
        for i in range(N_PARAMETERS)
    ]


def next_interval_days(
    w: Sequence[float], stability: float, desired_retention: float, maximum: int = 36500
) -> int:
    """As `fsrs.Scheduler._next_interval`: whole days, at least one."""
    decay, factor = forgetting_curve(w)
    days = round(stability / factor * (math.pow(desired_retention, 1 / decay) - 1))
    return min(max(days, 1), maximum)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A card as the workload projection sees it: its memory (None: a new card), the whole days
    since its last rating and until it is due (negative: overdue)."""

    stability: float | None
    difficulty: float | None
    days_since_review: int
    due_in_days: int


def expected_reviews(
    w: Sequence[float],
    *,
    desired_retention: float,
    cards: Sequence[Scheduled],
    new_per_day: Sequence[int],
    seed: int = 0,
    samples: int = 400,
) -> float:
    """Reviews a day, averaged over len(new_per_day) days, if the learner reviews every card
    when it falls due: `cards` are the ones they have, `new_per_day[k]` new cards introduced on
    day k.

    A seeded Monte Carlo (the same inputs give the same figure): each card is simulated at least
    once, and `samples` times in all when there are fewer (a sample of MAX_SIMULATED_CARDS when
    there are more, scaled up); a review recalls with the learner's
    own predicted probability; a recalled card is rated Good, a forgotten one Again and then
    Good at its relearning step the same day. A new card costs its first rating (Good) and one
    learning step."""
    horizon = len(new_per_day)
    if horizon == 0:
        return 0.0
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    population = list(cards)
    for day, count in enumerate(new_per_day):
        population.extend(Scheduled(None, None, 0, day) for _ in range(count))
    if not population:
        return 0.0
    # A large deck is simulated through a uniform sample of its cards, scaled back up.
    scale = max(1.0, len(population) / MAX_SIMULATED_CARDS)
    if scale > 1.0:
        population = rng.sample(population, MAX_SIMULATED_CARDS)
    repeats = max(1, samples // len(population))
    reviews = 0
    for card in population:
        for _ in range(repeats):
            reviews += _simulate_card(w, rng, card, horizon, desired_retention)
    return reviews * scale / repeats / horizon


def _simulate_card(
    w: Sequence[float],
    rng: random.Random,
    card: Scheduled,
    horizon: int,
    desired_retention: float,
) -> int:
    memory = Memory(card.stability, card.difficulty)
    reviews = 0
    day = max(card.due_in_days, 0)
    last = -card.days_since_review
    while day < horizon:
        if memory.stability is None:
            memory.rate(w, GOOD, None)
            memory.rate(w, GOOD, 0)
            reviews += 2
        else:
            elapsed = day - last
            recalled = rng.random() < memory.recall(w, elapsed)
            memory.rate(w, GOOD if recalled else AGAIN, elapsed)
            reviews += 1
            if not recalled:
                memory.rate(w, GOOD, 0)
                reviews += 1
        assert memory.stability is not None
        last = day
        day += next_interval_days(w, memory.stability, desired_retention)
    return reviews
