"""Per-learner FSRS parameters: do they predict a learner's recall better than the defaults?

    .venv/bin/python bench/fsrs_bench.py [--learners 8] [--days 150] [--new-per-day 12]
                                         [--sizes 100,200,400,800] [--seed 7] [--json]

Simulates learners whose memory follows FSRS-6 with known, non-default parameters (each
default multiplied by a log-normal factor, sigma 0.5, clipped to fsrs's bounds), reviewing
with the platform's scheduler as it is before any fit (`fsrs.Scheduler`, default parameters,
desired retention 0.9, fuzz on): one session a day at a random hour, `--new-per-day` new cards
introduced at its start, every due card reviewed, learning and relearning steps within the
session. A card's first rating is the learner's own judgement (again/hard/good/easy 20/10/60/10
%); after that it is recalled with the probability the *true* parameters give for the real time
elapsed (fractions of a day included, so same-day steps can fail too), and rated hard/good/easy
15/75/10 % when recalled, again when not.

Honest split in time: the first two thirds of the days are the training log; every rating in
the last third is held out. `personalization.memory.fit_parameters` (the code the Celery task
runs) fits on the training log only; then the whole history is replayed with each parameter
set (the held-out ratings' memory comes from everything before them) and the log loss is
taken over the held-out ratings a day or more after their card's previous one. Printed per
learner: defaults, fitted, and the true parameters (the floor any fit could reach, up to the
sampling noise and the whole-day model); then the same with the training log cut to its first
N scored ratings (`--sizes`), which is where the minimum log length of the task comes from.
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import json
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fsrs  # noqa: E402

from personalization import memory  # noqa: E402

UTC = datetime.UTC
START = datetime.datetime(2026, 1, 5, tzinfo=UTC)
FIRST_RATINGS = ((memory.AGAIN, 0.2), (memory.HARD, 0.1), (memory.GOOD, 0.6), (memory.EASY, 0.1))
RECALLED_RATINGS = ((memory.HARD, 0.15), (memory.GOOD, 0.75), (memory.EASY, 0.10))
REVIEW_SECONDS = 8
# A session waits this long for learning steps coming due before it ends.
SESSION_WAIT = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class Review:
    card: int
    at: datetime.datetime
    rating: int


def true_parameters(rng: random.Random) -> tuple[float, ...]:
    return memory.clip([w * math.exp(rng.gauss(0.0, 0.5)) for w in memory.DEFAULTS])


def _pick(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    x = rng.random()
    for rating, share in table:
        x -= share
        if x < 0:
            return rating
    return table[-1][0]


class TrueMemory:
    """The learner's own memory of a card: FSRS-6 with the true parameters, recall at the real
    (fractional) time elapsed."""

    def __init__(self, w: tuple[float, ...]) -> None:
        self.w = w
        self.state = memory.Memory()
        self.last: datetime.datetime | None = None

    def review(self, at: datetime.datetime, rng: random.Random) -> int:
        w, state = self.w, self.state
        if state.stability is None or state.difficulty is None or self.last is None:
            rating = _pick(rng, FIRST_RATINGS)
            state.rate(w, rating, None)
        else:
            elapsed = (at - self.last).total_seconds() / 86400
            recall = state.recall(w, elapsed)
            rating = _pick(rng, RECALLED_RATINGS) if rng.random() < recall else memory.AGAIN
            whole = (at - self.last).days
            if whole < 1:
                state.stability = memory.short_term_stability(w, state.stability, rating)
            else:
                state.stability = memory.next_stability(
                    w, state.difficulty, state.stability, recall, rating
                )
            state.difficulty = memory.next_difficulty(w, state.difficulty, rating)
        self.last = at
        return rating


def simulate(w: tuple[float, ...], *, days: int, new_per_day: int, seed: int) -> list[Review]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    random.seed(seed)  # fsrs's interval fuzz draws from the module-level generator
    scheduler = fsrs.Scheduler()
    cards: dict[int, fsrs.Card] = {}
    truth: dict[int, TrueMemory] = {}
    queue: list[tuple[datetime.datetime, int]] = []
    log: list[Review] = []
    next_id = 0
    for day in range(days):
        now = START + datetime.timedelta(days=day, hours=8 + rng.random() * 10)
        for _ in range(new_per_day):
            next_id += 1
            cards[next_id] = fsrs.Card(card_id=next_id, due=now)
            truth[next_id] = TrueMemory(w)
            heapq.heappush(queue, (now, next_id))
        while queue:
            due, card_id = queue[0]
            if due > now + SESSION_WAIT:
                break
            heapq.heappop(queue)
            now = max(now, due)
            rating = truth[card_id].review(now, rng)
            card, _ = scheduler.review_card(cards[card_id], fsrs.Rating(rating), now)
            cards[card_id] = card
            log.append(Review(card_id, now, rating))
            heapq.heappush(queue, (card.due, card_id))
            now += datetime.timedelta(seconds=REVIEW_SECONDS)
    return log


def by_card(log: list[Review]) -> list[memory.Timed]:
    """The log as the platform's review log reads it: per card, its ratings with their times."""
    cards: dict[int, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    for review in log:
        cards[review.card].append((review.at, review.rating))
    return list(cards.values())


def first_scored(log: list[Review], n: int) -> datetime.datetime:
    """The moment by which the log holds its first `n` scored ratings."""
    seen: dict[int, datetime.datetime] = {}
    count = 0
    for review in log:
        previous = seen.get(review.card)
        seen[review.card] = review.at
        if previous is not None and (review.at - previous).days >= 1:
            count += 1
            if count >= n:
                return review.at + datetime.timedelta(microseconds=1)
    return log[-1].at + datetime.timedelta(microseconds=1)


def run_learner(index: int, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed * 1000 + index)  # noqa: S311 - a reproducible seed
    w = true_parameters(rng)
    log = simulate(w, days=args.days, new_per_day=args.new_per_day, seed=args.seed * 1000 + index)
    cutoff = START + datetime.timedelta(days=args.days * 2 // 3)
    cards = by_card(log)
    held_out = memory.histories_of(cards, scored_from=cutoff)
    train = memory.histories_of(cards, until=cutoff)
    began = time.process_time()
    fit = memory.fit_parameters(train)
    seconds = time.process_time() - began
    row: dict[str, Any] = {
        "learner": index,
        "reviews": len(log),
        "train_scored": memory.scored_ratings(train),
        "test_scored": memory.log_loss(memory.DEFAULTS, held_out)[1],
        "default": memory.mean_log_loss(memory.DEFAULTS, held_out),
        "fitted": memory.mean_log_loss(fit.parameters, held_out),
        "true": memory.mean_log_loss(w, held_out),
        "fit_seconds": seconds,
        "sizes": {},
    }
    for size in args.sizes:
        if size >= row["train_scored"]:
            continue
        until = min(first_scored(log, size), cutoff)
        partial = memory.histories_of(cards, until=until)
        small = memory.fit_parameters(partial)
        row["sizes"][size] = memory.mean_log_loss(small.parameters, held_out)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--new-per-day", type=int, default=12)
    parser.add_argument("--sizes", default="100,200,400,800")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = [run_learner(i, args) for i in range(args.learners)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{args.learners} simulated learners, {args.days} days, {args.new_per_day} new cards a day;"
        " fit on the first 2/3 of the days, log loss on the held-out last 1/3"
    )
    print(
        f"{'learner':>7} {'reviews':>7} {'train':>6} {'test':>6} {'default':>8} {'fitted':>8}"
        f" {'true':>8} {'fit s':>6}"
    )
    for row in rows:
        print(
            f"{row['learner']:>7} {row['reviews']:>7} {row['train_scored']:>6}"
            f" {row['test_scored']:>6} {row['default']:>8.4f} {row['fitted']:>8.4f}"
            f" {row['true']:>8.4f} {row['fit_seconds']:>6.1f}"
        )
    for name in ("default", "fitted", "true"):
        print(f"mean {name:>8}: {statistics.fmean(row[name] for row in rows):.4f}")
    wins = sum(row["fitted"] < row["default"] for row in rows)
    print(f"fitted beats defaults for {wins} of {len(rows)} learners")
    print("training log cut to its first N scored ratings (same held-out ratings):")
    for size in args.sizes:
        pairs = [(row["default"], row["sizes"][size]) for row in rows if size in row["sizes"]]
        if not pairs:
            continue
        better = sum(fitted < default for default, fitted in pairs)
        print(
            f"  N={size:>4}: default {statistics.fmean(d for d, _ in pairs):.4f}"
            f"  fitted {statistics.fmean(f for _, f in pairs):.4f}"
            f"  better for {better} of {len(pairs)}"
        )


if __name__ == "__main__":
    main()
