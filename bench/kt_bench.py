"""Knowledge-tracing benchmark: replays public learner data through `personalization.knowledge`.

    .venv/bin/python bench/kt_bench.py [DATA_DIR]     (default: ../shared/data/kt)

Reads the data in place (never copies it). For each data set (ASSIST2009, Statics2011):

1. The train file is replayed learner by learner, each learner's answers in time order, through
   `knowledge.update`. This learns the item difficulties, as all earlier learners' answers do in
   production. Train learners' own states are dropped: test learners are different people.
2. The test file is replayed the same way, each test learner starting from a fresh state. Before
   every answer the model predicts P(correct) from the state as it is, and only then updates
   with that answer. So a prediction never sees its own outcome or anything later of its own
   learner; item difficulties keep learning online from earlier test learners' answers, exactly
   as the API does (answers from other learners that arrived earlier).

Metrics (AUC, RMSE, log loss) are over every test answer. Baselines: the train-set global correct
rate and the train-set per-id correct rate (ids are skills in ASSIST2009, questions in Statics).
Each data set has a single id per answer, which serves as both the item and its one skill.

The model's constants (personalization/knowledge.py) were chosen by a coordinate search on the
train files only (70/30 split by learner); the test files were never used for tuning.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from personalization import knowledge  # noqa: E402

DATASETS = {
    "ASSIST2009": (
        "assist2009/assist2009_updated_train.csv",
        "assist2009/assist2009_updated_test.csv",
    ),
    "Statics2011": ("statics/STATICS_train.csv", "statics/STATICS_test.csv"),
}

Sequence_ = list[tuple[int, int]]


def read_sequences(path: Path) -> Iterator[Sequence_]:
    """Three lines per learner: count, ids, outcomes (trailing commas allowed)."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    for i in range(0, len(lines) - 2, 3):
        ids = [int(x) for x in lines[i + 1].split(",") if x.strip()]
        outcomes = [int(x) for x in lines[i + 2].split(",") if x.strip()]
        yield list(zip(ids, outcomes, strict=True))


def auc(y: Sequence[int], p: Sequence[float]) -> float:
    """Rank-based (Mann-Whitney) AUC with ties averaged."""
    order = sorted(range(len(p)), key=p.__getitem__)
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and p[order[j + 1]] == p[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        rank_sum += avg * sum(y[order[k]] for k in range(i, j + 1))
        i = j + 1
    pos = sum(y)
    neg = len(y) - pos
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def metrics(y: Sequence[int], p: Sequence[float]) -> tuple[float, float, float]:
    eps = 1e-7
    rmse = math.sqrt(sum((yi - pi) ** 2 for yi, pi in zip(y, p, strict=True)) / len(y))
    ll = -sum(
        math.log(min(max(pi if yi else 1 - pi, eps), 1.0)) for yi, pi in zip(y, p, strict=True)
    ) / len(y)
    return auc(y, p), rmse, ll


def replay(
    sequences: list[Sequence_], items: dict[int, knowledge.Item], record: bool
) -> tuple[list[int], list[float]]:
    ys: list[int] = []
    ps: list[float] = []
    for seq in sequences:
        learner = knowledge.Learner()
        skills: dict[int, knowledge.SkillState] = defaultdict(knowledge.SkillState)
        for item_id, outcome in seq:
            item = items.get(item_id)
            if item is None:
                item = items[item_id] = knowledge.Item()
            p = knowledge.update(learner, [skills[item_id]], item, bool(outcome))
            if record:
                ys.append(outcome)
                ps.append(p)
    return ys, ps


def baselines(
    train: list[Sequence_], y: list[int], test: list[Sequence_]
) -> dict[str, list[float]]:
    flat = [pair for seq in train for pair in seq]
    mean = sum(o for _, o in flat) / len(flat)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item_id, outcome in flat:
        counts[item_id][0] += outcome
        counts[item_id][1] += 1
    per_id = {k: c / n for k, (c, n) in counts.items()}
    test_ids = [item_id for seq in test for item_id, _ in seq]
    return {
        "global mean (train)": [mean] * len(y),
        "per-skill mean (train)": [per_id.get(i, mean) for i in test_ids],
    }


def run(name: str, data_dir: Path) -> None:
    train_file, test_file = DATASETS[name]
    train = list(read_sequences(data_dir / train_file))
    test = list(read_sequences(data_dir / test_file))
    start = time.perf_counter()
    items: dict[int, knowledge.Item] = {}
    replay(train, items, record=False)
    y, p = replay(test, items, record=True)
    elapsed = time.perf_counter() - start
    n = sum(len(s) for s in train) + len(y)
    print(f"\n{name}: train {len(train)} learners, test {len(test)} learners / {len(y)} answers")
    print(f"  {'model':<28}{'AUC':>8}{'RMSE':>8}{'logloss':>9}")
    rows = {**baselines(train, y, test), "knowledge (Elo+gains)": p}
    for label, preds in rows.items():
        a, r, ll = metrics(y, preds)
        print(f"  {label:<28}{a:>8.4f}{r:>8.4f}{ll:>9.4f}")
    print(
        f"  replay: {n} updates in {elapsed:.2f}s ({elapsed / n * 1e6:.1f} us per predict+update)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=str(ROOT / ".." / "shared" / "data" / "kt"))
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    for name in DATASETS:
        run(name, data_dir)


if __name__ == "__main__":
    main()
