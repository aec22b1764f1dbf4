"""Fits the constants of the candidate model (bench/kt_candidate.py) on the train files only.

    .venv/bin/python bench/kt_fit.py [--rounds 2] [--without-topics] [--data-dir DIR]

The test files are never read. Each data set's train learners (the de-duplicated view of
`assist2009_pid` fold 1, and Statics2011) are split 70/30 by learner (kt_data.learner_split):
the 70% is replayed to learn (as earlier learners on the platform), the 30% to validate.

1. The W_* weights of the practice and recency terms: a logistic regression fitted online over
   the replay of the 70% of every data set, their learners interleaved (each answer's features
   as they were before it, one SGD step on the log loss per answer, the weights carried from
   learner to learner: one set of constants serves every subject), then frozen for the 30%.
   The weights printed are fitted on all of the train learners the same way.
2. The learning rates (K_*, DECAY_*, the momentum rates, the half-lives of the practice counts;
   K_GAIN for the per-question gains, which are learned online like the difficulties): a
   coordinate search, each constant tried at a few multiples of its value and kept where the
   mean validation AUC over the data sets is highest, the weights refitted for every candidate.

`--without-topics` fits the three-row variant (no per-topic rows: K_TOPIC = K_TOPIC_GAIN = 0),
whose constants go into kt_candidate.WITHOUT_TOPICS. FORGETTING_HALF_LIFE_DAYS is not fitted: the
files have no times (bench/kt_forgetting_sim.py validates it on simulated learners).

Prints the search and the constants to write into kt_candidate.py; the validation AUCs it prints
are on train learners only (bench/kt_bench.py reports the test files). Variants of the model
(which terms it has) were chosen by the same validation AUC, never by the test files.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kt_candidate as knowledge  # noqa: E402
import kt_data  # noqa: E402

WEIGHTS = (
    "W_SKILL_WINS",
    "W_SKILL_FAILS",
    "W_WINS",
    "W_FAILS",
    "W_SKILL_RECENT",
    "W_RECENT",
    "W_SURPRISE",
)
RATES = (
    "K_LEARNER",
    "DECAY_LEARNER",
    "K_SKILL",
    "DECAY_SKILL",
    "K_ITEM",
    "DECAY_ITEM",
    "K_TOPIC",
    "DECAY_TOPIC",
    "RECENT_RATE",
    "LEARNER_RECENT_RATE",
    "SURPRISE_RATE",
    "COUNT_HALF_LIFE",
    "SKILL_COUNT_HALF_LIFE",
    "K_GAIN",
    "DECAY_GAIN",
    "K_TOPIC_GAIN",
    "DECAY_TOPIC_GAIN",
)
TOPIC_RATES = ("K_TOPIC", "DECAY_TOPIC", "K_TOPIC_GAIN", "DECAY_TOPIC_GAIN")
FACTORS = (0.5, 0.75, 1.33, 2.0)
WEIGHT_STEP = 0.002
DATA_SETS = ("assist2009_pid", "statics")


def _features(
    learner: knowledge.Learner, skills: Sequence[knowledge.SkillState]
) -> tuple[float, ...]:
    """The terms the W_* weights multiply, in WEIGHTS order (as knowledge.ability_logit)."""
    count = len(skills) or 1
    return (
        sum(math.log1p(s.wins) for s in skills) / count,
        sum(math.log1p(s.fails) for s in skills) / count,
        math.log1p(learner.wins),
        math.log1p(learner.fails),
        sum(s.recent for s in skills) / count,
        learner.recent,
        learner.surprise,
    )


def replay(
    learners: Sequence[tuple[str, kt_data.Learner]],
    shared: dict[str, tuple[dict[int, knowledge.Item], dict[int, knowledge.Topic]]],
    *,
    fit_weights: bool,
) -> dict[str, tuple[list[int], list[float]]]:
    """Each (data set, learner) in turn from a fresh learner state, with its data set's items
    and topics; with `fit_weights`, one SGD step on the W_* weights per answer."""
    predictions: dict[str, tuple[list[int], list[float]]] = {}
    weights = [float(getattr(knowledge, name)) for name in WEIGHTS]
    for data_set, answers in learners:
        items, topics = shared.setdefault(data_set, ({}, {}))
        ys, ps = predictions.setdefault(data_set, ([], []))
        learner = knowledge.Learner()
        skills: dict[int, knowledge.SkillState] = defaultdict(knowledge.SkillState)
        for item_id, skill_ids, outcome in answers:
            item = items.get(item_id) or items.setdefault(item_id, knowledge.new_item())
            states = [skills[s] for s in skill_ids]
            answer_topics = [
                topics.get(s) or topics.setdefault(s, knowledge.Topic()) for s in skill_ids
            ]
            features = _features(learner, states) if fit_weights else ()
            p = knowledge.update(learner, states, item, bool(outcome), answer_topics)
            ys.append(outcome)
            ps.append(p)
            if fit_weights:
                error = outcome - p
                weights = [
                    w + WEIGHT_STEP * error * x for w, x in zip(weights, features, strict=True)
                ]
                for name, value in zip(WEIGHTS, weights, strict=True):
                    setattr(knowledge, name, value)
    return predictions


def interleaved(groups: dict[str, list[kt_data.Learner]]) -> list[tuple[str, kt_data.Learner]]:
    """Every data set's learners spread evenly through one sequence (learner i of n at i/n), so
    the weights are fitted on all the data sets at once, not on the last one read."""
    placed = [
        ((index + 0.5) / len(learners), name, learner)
        for name, learners in groups.items()
        for index, learner in enumerate(learners)
    ]
    placed.sort(key=lambda entry: (entry[0], entry[1]))
    return [(name, learner) for _position, name, learner in placed]


def validation_scores(
    splits: dict[str, tuple[list[kt_data.Learner], list[kt_data.Learner]]],
) -> dict[str, float]:
    """Each data set's validation AUC: one set of weights fitted from zero over the 70% of every
    data set (interleaved; each with its own items and topics), then frozen for the 30%."""
    for name in WEIGHTS:
        setattr(knowledge, name, 0.0)
    shared: dict[str, tuple[dict[int, knowledge.Item], dict[int, knowledge.Topic]]] = {}
    replay(interleaved({n: fit for n, (fit, _v) in splits.items()}), shared, fit_weights=True)
    validation = [(n, learner) for n, (_f, valid) in splits.items() for learner in valid]
    predictions = replay(validation, shared, fit_weights=False)
    return {name: kt_data.auc(y, p) for name, (y, p) in predictions.items()}


def validation_auc(splits: dict[str, tuple[list[kt_data.Learner], list[kt_data.Learner]]]) -> float:
    """The mean over the data sets of their validation AUC (what the search maximises)."""
    scores = validation_scores(splits)
    return sum(scores.values()) / len(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=str(kt_data.DEFAULT_DATA_DIR))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--without-topics",
        action="store_true",
        help="fit the three-row variant (K_TOPIC = 0: no shared per-topic rows)",
    )
    args = parser.parse_args()
    rates: tuple[str, ...] = RATES
    if args.without_topics:
        for name, value in knowledge.WITHOUT_TOPICS.items():  # start from the variant's fit
            setattr(knowledge, name, value)
        knowledge.K_TOPIC = knowledge.K_TOPIC_GAIN = 0.0
        rates = tuple(name for name in RATES if name not in TOPIC_RATES)
    data = {name: kt_data.load(name, "dedup", Path(args.data_dir)) for name in DATA_SETS}
    splits = {name: kt_data.learner_split(d.train) for name, d in data.items()}
    started = time.perf_counter()
    best = validation_auc(splits)
    print(f"start: mean validation AUC {best:.4f}", flush=True)
    for round_number in range(1, args.rounds + 1):
        for name in rates:
            current = float(getattr(knowledge, name))
            for factor in FACTORS:
                candidate = round(current * factor, 4) if current else 0.01 * factor
                setattr(knowledge, name, candidate)
                score = validation_auc(splits)
                if score > best + 1e-4:
                    best, current = score, candidate
                    print(
                        f"  round {round_number}: {name} = {candidate} -> {score:.4f}", flush=True
                    )
            setattr(knowledge, name, current)
    scores = validation_scores(splits)  # with the weights fitted on the 70%, as searched
    per_data_set = ", ".join(f"{name} {value:.4f}" for name, value in scores.items())
    # The weights for the module: fitted over all the train learners of every data set.
    for name in WEIGHTS:
        setattr(knowledge, name, 0.0)
    replay(interleaved({n: d.train for n, d in data.items()}), {}, fit_weights=True)
    print(
        f"\nmean validation AUC {best:.4f} ({per_data_set}; {time.perf_counter() - started:.0f} s);"
        " constants:"
    )
    for name in (*rates, *WEIGHTS):
        print(f"{name} = {round(float(getattr(knowledge, name)), 4)}")


if __name__ == "__main__":
    main()
