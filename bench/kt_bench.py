"""Knowledge-tracing benchmark: replays public learner data through `personalization.knowledge`.

    .venv/bin/python bench/kt_bench.py [--data-dir DIR] [--baseline REV] [--json]

Reads the data in place (never copies it; see bench/kt_data.py for the files and their two
views). The headline is the de-duplicated view (one observation per answered problem, with all
its skills), as the platform records answers; the raw view, whose continuation rows leak the
label, is printed beside it. Data sets: `assist2009_pid` (fold 1, problem ids, exact collapse),
`assist2009` (the DKVMN file, continuation rows found from the train file's skill pairs) and
Statics2011.

Each test learner starts from a fresh state; before every answer the model predicts P(correct)
from the state as it is, then updates with that answer, so a prediction never sees its own
outcome or anything later of its learner. Two protocols:
- production: the train file is replayed first (every earlier learner's answers, as on the
  platform), and item difficulties and topic shifts keep learning from the test learners'
  earlier answers, as the API does;
- literature: the same, but items and topics are frozen after the train file.

Printed per data set and view: AUC, RMSE and log loss of the production model
(`personalization.knowledge`: the candidate's three-row variant, without per-topic rows, its
constants refitted without them: kt_candidate.WITHOUT_TOPICS), of the candidate model
(bench/kt_candidate.py, constants fitted by bench/kt_fit.py on the train files only), of the
candidate with its topic rows frozen after the train file (as if a periodic job, not the
answers, wrote them) and of baselines
(the train file's global, per-skill and per-item correct rates); each model with each group of
its terms taken out (the other constants as fitted, not refitted), so every term shows what it
earns on the de-duplicated view beside what it earns on the leaky one; the model of a git
revision when `--baseline` names one; and the cost of one predict+update in the replay. The
files have no times, so the forgetting term is neutral here
(bench/kt_forgetting_sim.py tests it on simulated learners).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kt_candidate  # noqa: E402
import kt_data  # noqa: E402

from personalization import knowledge  # noqa: E402

DATA_SETS = ("assist2009_pid", "assist2009", "statics")
VIEWS = ("dedup", "raw")

# Groups of terms of each model, and the constants that switch each off (the ablation rows).
CANDIDATE_TERMS: dict[str, dict[str, float]] = {
    "recency (W_SKILL_RECENT, W_RECENT)": {"W_SKILL_RECENT": 0.0, "W_RECENT": 0.0},
    "surprise momentum (W_SURPRISE)": {"W_SURPRISE": 0.0},
    "practice counts (W_*WINS, W_*FAILS)": {
        "W_SKILL_WINS": 0.0,
        "W_SKILL_FAILS": 0.0,
        "W_WINS": 0.0,
        "W_FAILS": 0.0,
    },
    "count decay (*COUNT_HALF_LIFE = inf)": {
        "COUNT_HALF_LIFE": math.inf,
        "SKILL_COUNT_HALF_LIFE": math.inf,
    },
    "topic shifts (K_TOPIC)": {"K_TOPIC": 0.0},
    "topic gains (K_TOPIC_GAIN)": {"K_TOPIC_GAIN": 0.0},
    "per-question gains (K_GAIN)": {"K_GAIN": 0.0},
    "per-skill abilities (K_SKILL)": {"K_SKILL": 0.0},
}
# The production model is the candidate's three-row variant: the same terms without topic rows.
PRODUCTION_TERMS = {group: off for group, off in CANDIDATE_TERMS.items() if "TOPIC" not in group}


@contextmanager
def constants(module: ModuleType, values: dict[str, float]) -> Iterator[None]:
    """The model with some constants replaced, for one replay."""
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def replay(
    model: ModuleType,
    learners: Sequence[kt_data.Learner],
    items: dict[int, Any],
    topics: dict[int, Any],
    *,
    record: bool,
    learn_items: bool = True,
    learn_topics: bool = True,
) -> tuple[list[int], list[float]]:
    """Every learner from a fresh state, answers in order: predict, then update. With
    `learn_items=False` the update works on copies of the item and its topics, which are left
    as the train file made them (the literature's protocol); with `learn_topics=False` on
    copies of the topics only (topic rows refreshed offline, never by an answer)."""
    ys: list[int] = []
    ps: list[float] = []
    with_topics = hasattr(model, "Topic")
    for answers in learners:
        learner = model.Learner()
        skills: dict[int, Any] = defaultdict(model.SkillState)
        for item_id, skill_ids, outcome in answers:
            item = items.get(item_id)
            if item is None:
                item = items[item_id] = model.Item()
            states = [skills[s] for s in skill_ids]
            shared = []
            if with_topics:
                shared = [topics.get(s) or topics.setdefault(s, model.Topic()) for s in skill_ids]
            if not learn_items:
                item, shared = copy.deepcopy(item), copy.deepcopy(shared)
            elif not learn_topics:
                shared = copy.deepcopy(shared)
            if with_topics:
                p = model.update(learner, states, item, bool(outcome), shared)
            else:
                p = model.update(learner, states, item, bool(outcome))
            if record:
                ys.append(outcome)
                ps.append(p)
    return ys, ps


def evaluate(
    model: ModuleType, data: kt_data.DataSet, *, learn_items: bool, learn_topics: bool = True
) -> tuple[list[int], list[float], float]:
    """Replays train then test; the test predictions and the µs of one predict+update."""
    items: dict[int, Any] = {}
    topics: dict[int, Any] = {}
    started = time.perf_counter()
    replay(model, data.train, items, topics, record=False)
    y, p = replay(
        model,
        data.test,
        items,
        topics,
        record=True,
        learn_items=learn_items,
        learn_topics=learn_topics,
    )
    elapsed = time.perf_counter() - started
    answers = sum(len(a) for a in data.train) + len(y)
    return y, p, elapsed / answers * 1e6


def baselines(data: kt_data.DataSet) -> dict[str, list[float]]:
    """Correct rates from the train file: overall, per skill (mean over the answer's skills),
    per item."""
    flat = [answer for answers in data.train for answer in answers]
    mean = sum(o for _, _, o in flat) / len(flat)
    per_skill: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_item: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item_id, skill_ids, outcome in flat:
        per_item[item_id][0] += outcome
        per_item[item_id][1] += 1
        for skill in skill_ids:
            per_skill[skill][0] += outcome
            per_skill[skill][1] += 1

    def rate(counts: dict[int, list[int]], key: int) -> float:
        wins, total = counts.get(key, (0, 0))
        return (wins + mean * 5) / (total + 5)  # a few virtual answers at the mean

    test = [answer for answers in data.test for answer in answers]
    return {
        "global correct rate": [mean] * len(test),
        "per-skill correct rate": [
            sum(rate(per_skill, s) for s in skills) / len(skills) for _, skills, _ in test
        ],
        "per-item correct rate": [rate(per_item, item_id) for item_id, _, _ in test],
    }


def load_revision(revision: str) -> ModuleType:
    """personalization/knowledge.py as it was at `revision` (git), as a module."""
    source = subprocess.run(  # noqa: S603 - git with a revision the operator names
        ["git", "show", f"{revision}:personalization/knowledge.py"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(f"knowledge_{revision}", handle.name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


Row = dict[str, Any]


def score(label: str, y: list[int], p: list[float], **extra: Any) -> Row:
    return {
        "model": label,
        "auc": kt_data.auc(y, p),
        "rmse": kt_data.rmse(y, p),
        "log_loss": kt_data.log_loss(y, p),
        **extra,
    }


def model_rows(
    label: str, model: ModuleType, terms: dict[str, dict[str, float]], data: kt_data.DataSet
) -> tuple[list[int], list[Row]]:
    y, p, cost = evaluate(model, data, learn_items=True)
    rows = [score(f"{label}, production protocol", y, p, us_per_answer=cost)]
    y_frozen, p_frozen, _ = evaluate(model, data, learn_items=False)
    rows.append(score(f"{label}, literature protocol", y_frozen, p_frozen))
    for group, off in terms.items():
        with constants(model, off):
            y_off, p_off, _ = evaluate(model, data, learn_items=True)
        rows.append(score(f"  without {group}", y_off, p_off))
    return y, rows


def run(
    name: str, view: str, data_dir: Path, baseline: ModuleType | None, revision: str
) -> dict[str, Any]:
    data = kt_data.load(name, view, data_dir)
    y, rows = model_rows("production model", knowledge, PRODUCTION_TERMS, data)
    rows += model_rows("candidate", kt_candidate, CANDIDATE_TERMS, data)[1]
    # Topic rows written by a periodic job, not by answers: frozen after the train file.
    y_read, p_read, _ = evaluate(kt_candidate, data, learn_items=True, learn_topics=False)
    rows.append(score("candidate, topics frozen after train", y_read, p_read))
    if baseline is not None:
        y_old, p_old, old_cost = evaluate(baseline, data, learn_items=True)
        rows.append(score(f"model at {revision}", y_old, p_old, us_per_answer=old_cost))
    for label, predictions in baselines(data).items():
        rows.append(score(label, y, predictions))
    return {
        "data_set": name,
        "view": view,
        "note": data.note,
        "train_learners": len(data.train),
        "test_learners": len(data.test),
        "test_answers": len(y),
        "rows": rows,
    }


def print_result(result: dict[str, Any]) -> None:
    print(
        f"\n{result['data_set']} ({result['view']}): {result['note']}\n"
        f"  train {result['train_learners']} learners, test {result['test_learners']} learners"
        f" / {result['test_answers']} answers"
    )
    print(f"  {'model':<52}{'AUC':>8}{'RMSE':>8}{'logloss':>9}{'us/answer':>11}")
    for row in result["rows"]:
        cost = f"{row['us_per_answer']:>11.1f}" if "us_per_answer" in row else ""
        print(
            f"  {row['model']:<52}{row['auc']:>8.4f}{row['rmse']:>8.4f}{row['log_loss']:>9.4f}"
            f"{cost}"
        )


def main(argv: Sequence[str] | None = None, *, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=str(kt_data.DEFAULT_DATA_DIR))
    parser.add_argument("--baseline", help="a git revision whose model to replay beside")
    parser.add_argument("--data-set", choices=DATA_SETS, action="append")
    parser.add_argument("--view", choices=VIEWS, action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    baseline = load_revision(args.baseline) if args.baseline else None
    results = []
    for name in args.data_set or DATA_SETS:
        for view in args.view or VIEWS:
            if name == "statics" and view == "raw":
                continue  # the same as its dedup view
            result = run(name, view, Path(args.data_dir), baseline, args.baseline or "")
            results.append(result)
            if not args.json:
                print_result(result)
    if args.json:
        out(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
