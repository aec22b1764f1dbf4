"""Online knowledge-state model: Elo/IRT ratings plus per-item learned recency weights.

No Django imports: `bench/kt_bench.py` replays public learner data through exactly this code,
and the API persists the same state objects (see `personalization.services.knowledge`).

The logit of a correct answer is

    z = ability(learner) + W_LEARNER_RECENT * recent(learner)
        + mean over the item's skills of [ability(learner, skill) + W_RECENT * recent(skill)]
        - difficulty(item)
        + gains(item) . [log(1 + practice on the skills), recent(learner), recent(skills),
                         last outcome of the learner]

`ability(learner)` is a global (or per-subject) Elo rating, `ability(learner, skill)` a per-skill
offset, `difficulty(item)` is learned from every learner's answers (cold start: the authored
difficulty). `recent` is an exponentially weighted mean of the latest outcomes (centred on 0):
momentum that the slowly moving ratings trail behind. `gains(item)` says how much practice and
momentum matter on that item (as in AFM/PFA, where each skill has its own learning rate); they
are learned online from every learner by a logistic-regression gradient step.

Every rating moves by K(n) * (outcome - prediction) with K(n) = K0 / (1 + DECAY * n): new learners
and new items move fast, well-observed ones settle (an uncertainty-adaptive learning rate, as in
Pelánek's Elo variants). Predict and update touch a fixed number of numbers: O(1) per answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Tuned by coordinate search on the *train* splits of ASSIST2009 and Statics2011 (70/30 by
# learner), never on their test splits; bench/kt_bench.py reports the test splits.
K_LEARNER = 0.3
K_SKILL = 0.2
K_ITEM = 0.6
K_GAIN = 0.05
DECAY_LEARNER = 0.02
DECAY_SKILL = 0.1
DECAY_ITEM = 0.05
DECAY_GAIN = 0.002
RECENT_RATE = 0.5
W_RECENT = 0.0
LEARNER_RECENT_RATE = 0.4
W_LEARNER_RECENT = 0.6
N_GAINS = 4

# Authored difficulty -> starting logit difficulty (cold start for items nobody answered yet).
AUTHORED_DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


@dataclass(slots=True)
class Learner:
    """A learner's global (or per-subject) ability and momentum."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0  # exponentially weighted mean of the latest outcomes, in [-1, 1]
    last: float = 0.0  # the latest outcome: 1, -1, or 0 before the first answer


@dataclass(slots=True)
class SkillState:
    """One learner on one skill/topic."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0


@dataclass(slots=True)
class Item:
    """A question: its difficulty and how much practice and momentum matter on it."""

    difficulty: float = 0.0
    n: int = 0
    gains: list[float] = field(default_factory=lambda: [0.0] * N_GAINS)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _k(k0: float, decay: float, n: int) -> float:
    return k0 / (1.0 + decay * n)


def _features(learner: Learner, skills: Sequence[SkillState]) -> tuple[float, ...]:
    count = max(len(skills), 1)
    practice = sum(math.log1p(s.n) for s in skills) / count
    skill_recent = sum(s.recent for s in skills) / count
    return (practice, learner.recent, skill_recent, learner.last)


def ability_logit(learner: Learner, skills: Sequence[SkillState]) -> float:
    """The learner's log-odds of success on an item of difficulty 0 with no learned gains."""
    z = learner.ability + W_LEARNER_RECENT * learner.recent
    if skills:
        z += sum(s.ability + W_RECENT * s.recent for s in skills) / len(skills)
    return z


def logit(learner: Learner, skills: Sequence[SkillState], item: Item) -> float:
    """The predicted log-odds of a correct answer (before seeing it)."""
    gains = sum(g * f for g, f in zip(item.gains, _features(learner, skills), strict=False))
    return ability_logit(learner, skills) - item.difficulty + gains


def predict(learner: Learner, skills: Sequence[SkillState], item: Item) -> float:
    """P(correct) for this learner on this item, tagged with these skills."""
    return _sigmoid(logit(learner, skills, item))


def topic_success(learner: Learner, skill: SkillState) -> float:
    """P(correct) on a medium question of one topic (difficulty 0, no learned gains), with the
    learner's momentum read on that topic: the learner's ability and the topic's, and the
    topic's recent outcomes in place of the learner's latest ones.

    The latest answers are mostly on the topic being practised now, so the two momenta look
    alike to the update (consecutive answers share their topic), and the learner's carries the
    weight; but when topics are compared the learner's momentum is the same for all of them,
    while the topic's says where they struggled lately. The weak-topic recommendations rank by
    this: replayed on the two ASSISTments data sets (bench/reco_eval.py), it puts first the
    topic a learner fails on next more often than `predict` does, on a medium question or on
    the question last answered on the topic."""
    # `ability_logit(Learner(learner.ability, recent=skill.recent), [skill])`, written out: the
    # recommendations call this for every topic and subject of the learner.
    recent = skill.recent
    return _sigmoid(learner.ability + W_LEARNER_RECENT * recent + skill.ability + W_RECENT * recent)


def update(learner: Learner, skills: Sequence[SkillState], item: Item, correct: bool) -> float:
    """Folds one graded answer into the states in place; returns the prediction it corrected.

    Callers must call this once per answer (the API claims the answer first: idempotency)."""
    features = _features(learner, skills)
    p = predict(learner, skills, item)
    error = (1.0 if correct else 0.0) - p
    outcome = 1.0 if correct else -1.0
    k_gain = _k(K_GAIN, DECAY_GAIN, item.n)
    item.gains = [g + k_gain * error * f for g, f in zip(item.gains, features, strict=False)]
    item.gains += [0.0] * (N_GAINS - len(item.gains))
    item.difficulty -= _k(K_ITEM, DECAY_ITEM, item.n) * error
    item.n += 1
    learner.ability += _k(K_LEARNER, DECAY_LEARNER, learner.n) * error
    learner.n += 1
    learner.recent += LEARNER_RECENT_RATE * (outcome - learner.recent)
    learner.last = outcome
    for skill in skills:
        skill.ability += _k(K_SKILL, DECAY_SKILL, skill.n) * error
        skill.n += 1
        skill.recent += RECENT_RATE * (outcome - skill.recent)
    return p


def confidence(n: int) -> float:
    """How settled an estimate is, in [0, 1): grows with the number of observations."""
    return n / (n + 10.0)


def success_band_pick(
    learner: Learner,
    skills: Sequence[SkillState],
    items: Sequence[Item],
    band: tuple[float, float],
) -> int:
    """Index of the item whose predicted success is inside `band`, nearest its middle;
    the one closest to the band when none is inside."""
    low, high = band
    middle = (low + high) / 2

    def distance(index: int) -> tuple[float, float]:
        p = predict(learner, skills, items[index])
        return (max(low - p, p - high, 0.0), abs(p - middle))

    return min(range(len(items)), key=distance)
