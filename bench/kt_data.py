"""The public knowledge-tracing data sets, read in place, as the platform would see them.

`../shared/data/kt/README.md` describes the files. The platform records one graded answer per
question, with all the question's topics; the ASSIST2009 files write an answer to a question
tagged with several skills as consecutive rows, one per skill, with the same outcome (the
"continuation rows", about 15% of the test positions). So each data set has two views:

- `dedup` (the headline): one observation per answered problem, carrying all its skills.
  `assist2009_pid` names the problems, so consecutive rows of the same problem are collapsed
  exactly. `assist2009` (the DKVMN file) has only skill ids: a row is a continuation when its
  skill follows the previous row's in one of the ordered skill pairs whose adjacent outcomes
  agree in at least 97% of at least 50 transitions of the train file (35 pairs; found on the
  train file, from skills alone, never from the outcome of the row being judged). Its problem is
  then named by its set of skills.
- `raw`: every row an observation (the leaky view the literature reports), shown beside.

Statics2011 has one question id per row and no duplication: both views are the same, each
question its own skill.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# An answer: (item id, its skill ids, 1 correct / 0 wrong).
Answer = tuple[int, tuple[int, ...], int]
Learner = list[Answer]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kt"

CONTINUATION_MIN_TRANSITIONS = 50
CONTINUATION_MIN_AGREEMENT = 0.97


@dataclass(frozen=True)
class DataSet:
    name: str
    train: list[Learner]
    test: list[Learner]
    note: str


def _numbers(line: str) -> list[int]:
    return [int(x) for x in line.split(",") if x.strip()]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def read_pid(path: Path, *, dedup: bool) -> list[Learner]:
    """`assist2009_pid`: four lines per learner (id, problems, skills, outcomes)."""
    lines = _lines(path)
    learners: list[Learner] = []
    for i in range(0, len(lines) - 3, 4):
        rows = zip(
            _numbers(lines[i + 1]), _numbers(lines[i + 2]), _numbers(lines[i + 3]), strict=True
        )
        answers: list[tuple[int, list[int], int]] = []
        for problem, skill, outcome in rows:
            if dedup and answers and answers[-1][0] == problem:
                answers[-1][1].append(skill)
                continue
            answers.append((problem, [skill], outcome))
        learners.append([(p, tuple(sorted(set(s))), o) for p, s, o in answers])
    return learners


def _read_dkvmn(path: Path) -> list[list[tuple[int, int]]]:
    """Three lines per learner: count, ids, outcomes (trailing commas allowed)."""
    lines = _lines(path)
    return [
        list(zip(_numbers(lines[i + 1]), _numbers(lines[i + 2]), strict=True))
        for i in range(0, len(lines) - 2, 3)
    ]


def continuation_pairs(train: list[list[tuple[int, int]]]) -> set[tuple[int, int]]:
    """Ordered skill pairs (a, b) whose adjacent outcomes agree in at least 97% of at least 50
    train transitions a -> b: the second row is the same problem's next skill."""
    transitions: Counter[tuple[int, int]] = Counter()
    agreeing: Counter[tuple[int, int]] = Counter()
    for rows in train:
        for (a, outcome_a), (b, outcome_b) in itertools.pairwise(rows):
            transitions[(a, b)] += 1
            agreeing[(a, b)] += outcome_a == outcome_b
    return {
        pair
        for pair, count in transitions.items()
        if count >= CONTINUATION_MIN_TRANSITIONS
        and agreeing[pair] / count >= CONTINUATION_MIN_AGREEMENT
    }


def collapse_continuations(
    rows: list[tuple[int, int]],
    pairs: set[tuple[int, int]],
    problem_ids: dict[tuple[int, ...], int],
) -> Learner:
    """One answer per problem: a continuation row joins the previous answer's skills (its
    outcome is the first row's); a problem is named by its set of skills."""
    grouped: list[tuple[list[int], int]] = []
    previous: int | None = None
    for skill, outcome in rows:
        if grouped and previous is not None and (previous, skill) in pairs:
            grouped[-1][0].append(skill)
        else:
            grouped.append(([skill], outcome))
        previous = skill
    answers: Learner = []
    for skills, outcome in grouped:
        key = tuple(sorted(set(skills)))
        problem = problem_ids.setdefault(key, len(problem_ids) + 1)
        answers.append((problem, key, outcome))
    return answers


def _one_skill_each(rows: list[tuple[int, int]]) -> Learner:
    """Every row an answer to an item that is its own skill."""
    return [(item, (item,), outcome) for item, outcome in rows]


def load(name: str, view: str, data_dir: Path = DEFAULT_DATA_DIR) -> DataSet:
    """`name`: assist2009_pid, assist2009 or statics; `view`: dedup or raw."""
    dedup = view == "dedup"
    if name == "assist2009_pid":
        folder = data_dir / "assist2009_pid"
        return DataSet(
            name,
            read_pid(folder / "assist2009_pid_train1.csv", dedup=dedup),
            read_pid(folder / "assist2009_pid_test1.csv", dedup=dedup),
            "fold 1; items are problems"
            + ("; consecutive rows of a problem collapsed" if dedup else ""),
        )
    if name == "assist2009":
        folder = data_dir / "assist2009"
        train = _read_dkvmn(folder / "assist2009_updated_train.csv")
        test = _read_dkvmn(folder / "assist2009_updated_test.csv")
        if not dedup:
            return DataSet(
                name,
                [_one_skill_each(rows) for rows in train],
                [_one_skill_each(rows) for rows in test],
                "every row an answer; items are skills",
            )
        pairs = continuation_pairs(train)
        problems: dict[tuple[int, ...], int] = {}
        return DataSet(
            name,
            [collapse_continuations(rows, pairs, problems) for rows in train],
            [collapse_continuations(rows, pairs, problems) for rows in test],
            f"{len(pairs)} continuation skill pairs from train; items are skill sets",
        )
    if name == "statics":
        folder = data_dir / "statics"
        train = _read_dkvmn(folder / "STATICS_train.csv")
        test = _read_dkvmn(folder / "STATICS_test.csv")
        return DataSet(
            name,
            [_one_skill_each(rows) for rows in train],
            [_one_skill_each(rows) for rows in test],
            "items are questions, each its own skill (no duplication)",
        )
    raise ValueError(f"unknown data set {name!r}")


def learner_split(
    learners: list[Learner], fraction: float = 0.7, seed: int = 7
) -> tuple[list[Learner], list[Learner]]:
    """A split of the train learners (fitting and validation never see the test file)."""
    order = list(range(len(learners)))
    random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible split, not a secret
    cut = int(len(order) * fraction)
    return [learners[i] for i in order[:cut]], [learners[i] for i in order[cut:]]


# --- metrics -------------------------------------------------------------------------------------


def auc(y: Sequence[int], p: Sequence[float]) -> float:
    """Rank-based (Mann-Whitney) AUC with ties averaged."""
    order = sorted(range(len(p)), key=p.__getitem__)
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and p[order[j + 1]] == p[order[i]]:
            j += 1
        rank_sum += ((i + j) / 2 + 1) * sum(y[order[k]] for k in range(i, j + 1))
        i = j + 1
    positives = sum(y)
    negatives = len(y) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def rmse(y: Sequence[int], p: Sequence[float]) -> float:
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(y, p, strict=True)) / len(y))


def log_loss(y: Sequence[int], p: Sequence[float]) -> float:
    eps = 1e-7
    return -sum(
        math.log(min(max(b if a else 1 - b, eps), 1.0)) for a, b in zip(y, p, strict=True)
    ) / len(y)
