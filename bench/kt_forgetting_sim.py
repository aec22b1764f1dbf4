"""Validates the candidate model's time feature on simulated learners who forget.

    .venv/bin/python bench/kt_forgetting_sim.py [--learners 1200] [--seed 11]

The public files have no timestamps, so the weight of "time since the last practice of a
skill" cannot be fitted on them: bench/kt_candidate.py decays a skill's practice evidence (its
learner's offset on the skill, its practice counts and its recent outcomes) toward the prior
by 0.5 ** (elapsed days / FORGETTING_HALF_LIFE_DAYS), a default, not a fit; with no times the
factor is 1 and the model is the one the public data measured. This script checks, on learners
whose forgetting is known, that the feature does what it claims:

1. neutral: with every answer at the same instant, predictions equal those without times;
2. useful: when learners forget (known half-life), predictions with times beat those without
   (AUC, log loss), for true half-lives from a week to a season, the model's default unchanged;
3. ordered: sweeping the model's half-life, the best log loss moves with the true one (it comes
   out shorter than the true one: 7, 15, 30 days for true 7, 30, 120 in the run measured).

The simulated learner: ability ~ N(0, 1); per skill a knowledge level that each practice raises
(more after a correct answer) and that decays with a known half-life in days toward 0;
P(correct) = sigmoid(ability + knowledge - item difficulty - 0.3). Learners work in sessions
(one skill, 6 questions, 2 minutes apart) separated by Exp(mean 4 days) gaps; half of the
sessions revisit a skill practised before. The model runs with the constants fitted on the
public train files (not refitted here): only the time input changes between the compared runs.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import kt_candidate as model  # noqa: E402
import kt_data  # noqa: E402

SKILLS = 20
ITEMS_PER_SKILL = 15
SESSIONS = 40
ANSWERS_PER_SESSION = 6
MEAN_GAP_DAYS = 4.0
MINUTES = 1.0 / 1440.0
GAIN_CORRECT = 0.3
GAIN_WRONG = 0.15

# One simulated answer: (item id, skill id, day, outcome).
TimedAnswer = tuple[int, int, float, int]


def simulate(learners: int, true_half_life: float, rng: random.Random) -> list[list[TimedAnswer]]:
    """Answer sequences of `learners` simulated learners."""
    difficulty = {item: rng.gauss(0.0, 0.8) for item in range(1, SKILLS * ITEMS_PER_SKILL + 1)}
    sequences = []
    for _ in range(learners):
        ability = rng.gauss(0.0, 1.0)
        knowledge: dict[int, float] = defaultdict(float)
        last_day: dict[int, float] = {}
        day = 0.0
        answers: list[TimedAnswer] = []
        for _session in range(SESSIONS):
            day += rng.expovariate(1.0 / MEAN_GAP_DAYS)
            practised = list(last_day)
            if practised and rng.random() < 0.5:
                skill = rng.choice(practised)
            else:
                skill = rng.randint(1, SKILLS)
            for _ in range(ANSWERS_PER_SESSION):
                day += 2 * MINUTES
                if skill in last_day:
                    knowledge[skill] *= 0.5 ** ((day - last_day[skill]) / true_half_life)
                last_day[skill] = day
                item = (skill - 1) * ITEMS_PER_SKILL + rng.randint(1, ITEMS_PER_SKILL)
                z = ability + knowledge[skill] - difficulty[item] - 0.3
                correct = int(rng.random() < 1.0 / (1.0 + math.exp(-z)))
                knowledge[skill] += GAIN_CORRECT if correct else GAIN_WRONG
                answers.append((item, skill, day, correct))
        sequences.append(answers)
    return sequences


def replay(
    train: list[list[TimedAnswer]], test: list[list[TimedAnswer]], *, times: str
) -> tuple[list[int], list[float]]:
    """Train learners then test learners through the model (items and topics keep learning, as
    in the app); `times`: "real" (the simulated days), "none" (no times: the public data's
    case) or "frozen" (every answer at day 0)."""
    items: dict[int, model.Item] = {}
    topics: dict[int, model.Topic] = {}
    ys: list[int] = []
    ps: list[float] = []
    for record, sequences in ((False, train), (True, test)):
        for answers in sequences:
            learner = model.Learner()
            skills: dict[int, model.SkillState] = defaultdict(model.SkillState)
            for item_id, skill_id, day, outcome in answers:
                item = items.get(item_id) or items.setdefault(item_id, model.new_item())
                topic = topics.get(skill_id) or topics.setdefault(skill_id, model.Topic())
                now = {"real": day, "none": None, "frozen": 0.0}[times]
                p = model.update(learner, [skills[skill_id]], item, bool(outcome), [topic], now=now)
                if record:
                    ys.append(outcome)
                    ps.append(p)
    return ys, ps


@contextmanager
def half_life(days: float) -> Iterator[None]:
    saved = model.FORGETTING_HALF_LIFE_DAYS
    model.FORGETTING_HALF_LIFE_DAYS = days
    try:
        yield
    finally:
        model.FORGETTING_HALF_LIFE_DAYS = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=1200, help="train + test (2:1)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    default = model.FORGETTING_HALF_LIFE_DAYS
    print(f"model half-life (default, not fitted): {default:g} days")
    print(f"{'true half-life':>15}{'times':>8}{'AUC':>8}{'logloss':>9}")
    for true_half_life in (7.0, 30.0, 120.0):
        rng = random.Random(args.seed)  # noqa: S311 - a reproducible simulation
        sequences = simulate(args.learners, true_half_life, rng)
        cut = args.learners * 2 // 3
        train, test = sequences[:cut], sequences[cut:]
        without_y, without_p = replay(train, test, times="none")
        _, frozen_p = replay(train, test, times="frozen")
        assert frozen_p == without_p, "times that never advance must change nothing"
        with_y, with_p = replay(train, test, times="real")
        for label, y, p in (("none", without_y, without_p), ("real", with_y, with_p)):
            print(
                f"{true_half_life:>15g}{label:>8}{kt_data.auc(y, p):>8.4f}"
                f"{kt_data.log_loss(y, p):>9.4f}"
            )
        sweep = []
        for days in (3.0, 7.0, 15.0, 30.0, 60.0, 120.0, 240.0):
            with half_life(days):
                y, p = replay(train, test, times="real")
            sweep.append((kt_data.log_loss(y, p), days))
        print(
            f"{'':>15}  log loss by model half-life: "
            + ", ".join(f"{days:g}d {loss:.4f}" for loss, days in sweep)
            + f"; best {min(sweep)[1]:g} days"
        )
    print("neutral: with times frozen at day 0 the predictions equal those without times")


if __name__ == "__main__":
    main()
