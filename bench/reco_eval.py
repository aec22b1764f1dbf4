"""Recommendation quality: how often a ranking rule puts first the topic a learner fails on next.

    .venv/bin/python bench/reco_eval.py [--data-dir DIR] [--data-set NAME] [--view dedup|raw]
                                        [--validation] [--json]

Replays public learner data (read in place; bench/kt_data.py describes the files and their
views) through the production knowledge model (`personalization.knowledge`), as
bench/kt_bench.py's production protocol does: the train file first (item difficulties and gains
learned from every learner's answers), then each test learner from a fresh state, answers in
time order, items still learning. Data sets, de-duplicated views: `assist2009_pid` (fold 1,
problem ids, consecutive rows of a problem collapsed exactly), `assist2009` (the DKVMN file,
continuation rows found from the train file's skill pairs) and Statics2011 (ids are questions,
each its own topic).

An event is a test answer that is wrong. Before it is folded into the model, each rule ranks the
candidates: the topics the learner has practised so far (at least one earlier answer in their
sequence; the app's weak topics come from the same place, the learner's own topic states). The
event counts when the failed answer's topics include a candidate (a first answer on a topic
cannot be recommended from that learner's history: those failures are reported, not scored);
the relevant topics are the failed answer's topics among the candidates (an ASSISTments problem
may carry several). Per rule: hit@1 (the first topic is relevant) and NDCG@3 (binary relevance,
ideal DCG over min(3, relevant)), with their ratio to random's; hit@1 again on the "switch"
events only (none of the failed topics is a topic of the learner's previous answer); and the
cost of one ranking in µs per event.

Rules:
- random: the exact expectation over uniform orders (k relevant among C candidates: hit@1 is
  k / C, and each of the first three positions is relevant with probability k / C);
- popularity: the topics most answered in the train file first;
- weak topics before: the app's rule at 9f11381, reproduced here exactly (the app no longer has
  it): topics with at least 3 answers whose predicted success on a medium question (the
  learner's logit plus the topic's ability) is below the target band (0.70), lowest first, at
  most 2 per subject (these data are one subject each; the engine's scores keep that order);
- lowest mastery: the topic's ability (per-skill offset) lowest first, which is also the order
  of `knowledge.predict` on a medium question (the learner's terms are the same for every topic
  and the model's W_RECENT is 0);
- full prediction, latest question: `knowledge.predict` on the question the learner last answered
  on the topic, with its learned difficulty and gains (on Statics that is the topic itself);
- full prediction, mean gains: on a medium question with the train file's mean learned gains;
- the app's ranking, every topic: `knowledge.topic_success` (the momentum read on the topic)
  over every candidate, no filter;
- weak topics now (the app): `personalization.recommendations.sources.weak_topic_ranking`, the
  function the endpoint calls, with its threshold, and at most TOPICS_PER_SUBJECT listed: what a
  learner is shown. An empty list is a miss. Beside it, the same with the 3 answers per topic
  the rule before asked for (what dropping that requirement earns).
Reference rows, not recommendation rules of the app: most failures on the topic, the topic's
momentum alone (its recent outcomes), and the last practised topic (most recent first).

`--validation` replays the train file alone: 70% of its learners as the earlier learners, the
other 30% scored (kt_data.learner_split, as bench/kt_fit.py validates). Choices between ranking
rules for the app are made on it, never on the test file.

What could inflate the figures, and how it is kept out:
- the label leak of the ASSIST2009 files (a multi-skill problem written as consecutive rows with
  the same outcome): the de-duplicated views are the headline; `--view raw` shows the leaky one;
- the outcome of the answer being predicted: rankings are computed from the state before it,
  which is updated only after every rule has ranked; its topics only decide which event counts
  and what is relevant, never a ranking; ties are broken by topic id, never by outcome;
- popularity and the mean gains come from the train file only; item parameters learn from the
  test learners' earlier answers, as on the platform (kt_bench's production protocol);
- random is computed exactly, not sampled;
- the data's own structure: an ASSISTments skill builder keeps a learner on one skill until they
  answer three in a row right, so the next failure is mostly on the skill being practised. Any
  rule that favours the current topic (momentum, last practised) gains from it; the last
  practised topic row shows how much, and the switch column scores the events where it cannot
  help. On Statics nearly every failure is on a question not answered before: few events.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django  # noqa: E402

django.setup()  # to import the app's ranking; no database is touched

import kt_data  # noqa: E402

from personalization import knowledge  # noqa: E402
from personalization.recommendations import sources  # noqa: E402

DATA_SETS = ("assist2009_pid", "assist2009", "statics")
VIEWS = ("dedup", "raw")
SUBJECT = 1  # each data set is one subject
TOP = 3
TARGET_RATIO = 1.5
# The rule before this one (9f11381): answers a topic needed before it could be called weak.
BEFORE_MIN_ANSWERS = 3


@dataclass
class LearnerState:
    """One test learner as the app would hold them, with what the reference rules read."""

    items: dict[int, knowledge.Item]
    learner: knowledge.Learner = field(default_factory=knowledge.Learner)
    # The app names topics by text: ids become strings, as they would be stored.
    skills: dict[str, knowledge.SkillState] = field(default_factory=dict)
    subjects: dict[str, dict[int | None, str | None]] = field(default_factory=dict)
    latest_item: dict[str, int] = field(default_factory=dict)
    latest_position: dict[str, int] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Rule:
    name: str
    rank: Callable[[LearnerState], list[str]]
    group: str  # "issue": the rules the target compares with; "app"; "reference"


def _by(state: LearnerState, key: Callable[[str], float]) -> list[str]:
    return sorted(state.skills, key=lambda s: (key(s), s))


def weak_topics_before(state: LearnerState) -> list[str]:
    """The app's weak topics at 9f11381 (`sources._weak_pairs` and `weak_topics` there)."""
    subject_logit = knowledge.ability_logit(state.learner, [])
    weak_logit = math.log(sources.WEAK_BELOW / (1 - sources.WEAK_BELOW))
    found = []
    for skill, topic in state.skills.items():
        if topic.n < BEFORE_MIN_ANSWERS:
            continue
        z = subject_logit + knowledge.ability_logit(knowledge.Learner(), [topic])
        if z < weak_logit:
            found.append((1 / (1 + math.exp(-z)), skill))
    return [skill for _, skill in sorted(found)[: sources.TOPICS_PER_SUBJECT]]


def weak_topics_now(state: LearnerState, min_answers: int = 1) -> list[str]:
    skills = state.skills
    if min_answers > 1:
        skills = {s: topic for s, topic in skills.items() if topic.n >= min_answers}
    ranked = sources.weak_topic_ranking({SUBJECT: state.learner}, skills, state.subjects)
    return [weak.skill for weak in ranked[: sources.TOPICS_PER_SUBJECT]]


def rules(popularity: Counter[str], mean_gains: list[float]) -> list[Rule]:
    typical = knowledge.Item(0.0, 0, mean_gains)

    def predicted(state: LearnerState, skill: str, item: knowledge.Item) -> float:
        return knowledge.predict(state.learner, [state.skills[skill]], item)

    return [
        Rule("popularity (train answers)", lambda st: _by(st, lambda s: -popularity[s]), "issue"),
        Rule("weak topics before (9f11381)", weak_topics_before, "issue"),
        Rule(
            "lowest mastery (topic ability)",
            lambda st: _by(st, lambda s: st.skills[s].ability),
            "issue",
        ),
        Rule(
            "full prediction, latest question",
            lambda st: _by(st, lambda s: predicted(st, s, st.items[st.latest_item[s]])),
            "issue",
        ),
        Rule(
            "full prediction, mean gains",
            lambda st: _by(st, lambda s: predicted(st, s, typical)),
            "issue",
        ),
        Rule(
            "app's ranking, every topic",
            lambda st: _by(st, lambda s: knowledge.topic_success(st.learner, st.skills[s])),
            "app",
        ),
        Rule("weak topics now (the app)", weak_topics_now, "app"),
        Rule(
            "  the same, 3 answers required",
            lambda st: weak_topics_now(st, BEFORE_MIN_ANSWERS),
            "app",
        ),
        Rule(
            "most failures on the topic", lambda st: _by(st, lambda s: -st.failures[s]), "reference"
        ),
        Rule(
            "topic momentum alone", lambda st: _by(st, lambda s: st.skills[s].recent), "reference"
        ),
        Rule(
            "last practised topic",
            lambda st: _by(st, lambda s: -st.latest_position[s]),
            "reference",
        ),
    ]


def _dcg(positions: Sequence[float]) -> float:
    return sum(p / math.log2(r + 2) for r, p in enumerate(positions))


def ndcg(ranked: Sequence[str], relevant: set[str]) -> float:
    ideal = _dcg([1.0] * min(TOP, len(relevant)))
    return _dcg([1.0 if s in relevant else 0.0 for s in ranked[:TOP]]) / ideal


def random_expectation(candidates: int, relevant: int) -> tuple[float, float]:
    """hit@1 and NDCG@3 of a uniformly random order, exactly."""
    share = relevant / candidates
    ideal = _dcg([1.0] * min(TOP, relevant))
    return share, _dcg([share] * min(TOP, candidates)) / ideal


@dataclass
class Tally:
    hits: float = 0.0
    ndcg: float = 0.0
    switch_hits: float = 0.0
    seconds: float = 0.0


def train_replay(
    data: kt_data.DataSet,
) -> tuple[dict[int, knowledge.Item], Counter[str], list[float]]:
    """Items learned from the train file, topic popularity, the mean learned gains."""
    items: dict[int, knowledge.Item] = {}
    popularity: Counter[str] = Counter()
    for answers in data.train:
        learner = knowledge.Learner()
        skills: dict[int, knowledge.SkillState] = {}
        for item_id, skill_ids, outcome in answers:
            item = items.setdefault(item_id, knowledge.Item())
            states = [skills.setdefault(s, knowledge.SkillState()) for s in skill_ids]
            knowledge.update(learner, states, item, bool(outcome))
            popularity.update(str(s) for s in skill_ids)
    gains = [sum(i.gains[g] for i in items.values()) / len(items) for g in range(knowledge.N_GAINS)]
    return items, popularity, gains


def run(name: str, view: str, data_dir: Path, *, validation: bool = False) -> dict[str, Any]:
    data = kt_data.load(name, view, data_dir)
    if validation:
        earlier, scored = kt_data.learner_split(data.train)
        data = kt_data.DataSet(name, earlier, scored, data.note + "; validation: train learners")
    started = time.perf_counter()
    items, popularity, mean_gains = train_replay(data)
    ranking_rules = rules(popularity, mean_gains)
    tallies = {rule.name: Tally() for rule in ranking_rules}
    chance = Tally()
    counts: Counter[str] = Counter()
    candidates = 0
    for answers in data.test:
        state = LearnerState(items)
        previous: set[str] = set()
        for position, (item_id, skill_ids, outcome) in enumerate(answers):
            topics = {str(s) for s in skill_ids}
            relevant = topics & state.skills.keys()
            if not outcome:
                counts["failures"] += 1
                counts["events" if relevant else "first answers on the topic"] += 1
            if not outcome and relevant:
                switch = not relevant & previous
                counts["switch events"] += switch
                candidates += len(state.skills)
                hit, gain = random_expectation(len(state.skills), len(relevant))
                chance.hits += hit
                chance.ndcg += gain
                chance.switch_hits += hit if switch else 0.0
                for rule in ranking_rules:
                    tally = tallies[rule.name]
                    before = time.perf_counter()
                    ranked = rule.rank(state)
                    tally.seconds += time.perf_counter() - before
                    first = bool(ranked) and ranked[0] in relevant
                    tally.hits += first
                    tally.ndcg += ndcg(ranked, relevant)
                    tally.switch_hits += first and switch
            # Only now does the model see the answer.
            item = items.setdefault(item_id, knowledge.Item())
            for skill in topics:
                state.skills.setdefault(skill, knowledge.SkillState())
                state.subjects.setdefault(skill, {SUBJECT: None})
                state.latest_item[skill] = item_id
                state.latest_position[skill] = position
                state.failures[skill] += not outcome
            knowledge.update(
                state.learner, [state.skills[s] for s in sorted(topics)], item, bool(outcome)
            )
            previous = topics
    events, switches = counts["events"], counts["switch events"]
    base_hit, base_ndcg = chance.hits / events, chance.ndcg / events

    def row(rule: str, group: str, tally: Tally) -> dict[str, Any]:
        return {
            "rule": rule,
            "group": group,
            "hit_at_1": tally.hits / events,
            "hit_ratio": tally.hits / events / base_hit,
            "ndcg_at_3": tally.ndcg / events,
            "ndcg_ratio": tally.ndcg / events / base_ndcg,
            "switch_hit_at_1": tally.switch_hits / switches if switches else None,
            "us_per_event": tally.seconds / events * 1e6,
        }

    rows = [row("random (exact expectation)", "issue", chance)]
    rows += [row(rule.name, rule.group, tallies[rule.name]) for rule in ranking_rules]
    return {
        "data_set": name,
        "view": view,
        "note": data.note,
        "test_learners": len(data.test),
        "failures": counts["failures"],
        "events": events,
        "first_answers_on_the_topic": counts["first answers on the topic"],
        "switch_events": switches,
        "mean_candidates": candidates / events,
        "seconds": time.perf_counter() - started,
        "rows": rows,
        "target": verdict(rows),
    }


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The target: the app's hit@1 at least 1.5x random's and above every rule of the issue."""
    app = next(r for r in rows if r["rule"] == "weak topics now (the app)")
    issue = [r for r in rows if r["group"] == "issue"]
    reference = [r for r in rows if r["group"] == "reference"]
    return {
        "ratio_to_random": app["hit_ratio"],
        "met": app["hit_ratio"] >= TARGET_RATIO
        and all(app["hit_at_1"] > r["hit_at_1"] for r in issue),
        "beaten_by": [r["rule"] for r in issue + reference if r["hit_at_1"] >= app["hit_at_1"]],
    }


def print_result(result: dict[str, Any]) -> None:
    print(
        f"\n{result['data_set']} ({result['view']}): {result['note']}\n"
        f"  {result['test_learners']} test learners, {result['failures']} wrong answers:"
        f" {result['events']} events ({result['switch_events']} switch), "
        f"{result['first_answers_on_the_topic']} first answers on a topic not scored;"
        f" {result['mean_candidates']:.1f} candidate topics per event; {result['seconds']:.0f} s"
    )
    print(
        f"  {'rule':<34}{'hit@1':>7}{'x rand':>8}{'NDCG@3':>8}{'x rand':>8}"
        f"{'switch hit@1':>14}{'us/event':>10}"
    )
    group = "issue"
    for row in result["rows"]:
        if row["group"] == "reference" and group != "reference":
            print("  reference rows (not recommendation rules):")
        group = row["group"]
        switch = row["switch_hit_at_1"]
        print(
            f"  {row['rule']:<34}{row['hit_at_1']:>7.3f}{row['hit_ratio']:>8.2f}"
            f"{row['ndcg_at_3']:>8.3f}{row['ndcg_ratio']:>8.2f}"
            f"{'' if switch is None else f'{switch:.3f}':>14}{row['us_per_event']:>10.1f}"
        )
    target = result["target"]
    print(
        f"  target (app hit@1 >= {TARGET_RATIO}x random and above every rule of the issue):"
        f" {'met' if target['met'] else 'NOT met'} ({target['ratio_to_random']:.2f}x random"
        + (f"; at or above it: {', '.join(target['beaten_by'])})" if target["beaten_by"] else ")")
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=str(kt_data.DEFAULT_DATA_DIR))
    parser.add_argument("--data-set", choices=DATA_SETS, action="append")
    parser.add_argument("--view", choices=VIEWS, default="dedup")
    parser.add_argument("--validation", action="store_true", help="score 30%% of the train file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    for name in args.data_set or DATA_SETS:
        result = run(name, args.view, Path(args.data_dir), validation=args.validation)
        results.append(result)
        if not args.json:
            print_result(result)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
