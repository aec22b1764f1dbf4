"""A candidate knowledge-state model: Elo/IRT ratings with practice counts (PFA / Best-LR
features), topic difficulties and per-question gains.

Not in production: `bench/kt_bench.py` replays it beside `personalization.knowledge`, and
`bench/kt_fit.py` fits its constants on the train files. It predicts better than the
production model on the de-duplicated `assist2009_pid` view and a little worse on the others;
and its practice counts, which the data reward (learners improve as they practise), bias the
choice of questions for a learner whose ability stays the same within an adaptive attempt (the
simulated learners of tests/quiz/test_adaptive_api.py get questions too hard or too easy).
Adaptive attempts need an ability estimate of their own first (an estimate with its standard
error, apart from practice and momentum); then the model can move into personalization.

One graded answer to a question is one observation, whatever the number of topics (skills) the
question is tagged with. The logit of a correct answer is

    z = ability(learner)
        + mean over the question's skills of [ability(learner, skill) + difficulty shift(skill)]
        - difficulty(item)
        + W_SKILL_WINS * mean log(1 + wins on the skills) + W_SKILL_FAILS * mean log(1 + fails)
        + W_WINS * log(1 + wins) + W_FAILS * log(1 + fails)          (all of the learner's answers)
        + W_SKILL_RECENT * mean recent(skill) + W_RECENT * recent(learner)

`ability(learner)` is a global (or per-subject) Elo rating and `ability(learner, skill)` a
per-skill offset; `difficulty(item)` is learned from every learner's answers (on the platform
its cold start would be the authored difficulty); `Topic` is what a skill adds to the
difficulty of every question tagged with it, learned from every learner too, which is also the
cold start of a question nobody has answered yet. The win and fail counts are the practice
terms of PFA (Pavlik et al. 2009) and Best-LR (Gervet et al. 2020): a learner who has practised
a skill, and how it went. `recent` is an exponentially weighted mean of the latest outcomes on
the skill (centred on 0). A question's `gains` weigh practice and momentum for it alone.

Every rating moves by K(n) * (outcome - prediction) with K(n) = K0 / (1 + DECAY * n): new learners
and new items move fast, well-observed ones settle (an uncertainty-adaptive learning rate, as in
Pelánek's Elo variants). The W_* weights are constants, not learned per row: no answer would
write a row that every learner shares except its question's and its topics'. Predict and update
touch a fixed number of numbers per skill: O(skills) per answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Fitted by bench/kt_fit.py on the train files only (learning rates by coordinate search on a
# 70/30 split of the train learners, the W_* weights by logistic regression over the train
# replay); bench/kt_bench.py reports the test files. The fit saw `assist2009_pid` and Statics.
K_LEARNER = 0.225
DECAY_LEARNER = 0.01
K_SKILL = 0.4
DECAY_SKILL = 0.1
K_ITEM = 0.399
DECAY_ITEM = 0.0884
K_TOPIC = 0.1
DECAY_TOPIC = 0.01
RECENT_RATE = 0.5
W_SKILL_WINS = 0.0406
W_SKILL_FAILS = 0.3669
W_WINS = 0.2457
W_FAILS = -0.2142
W_SKILL_RECENT = 0.18
W_RECENT = 0.265
# Per question: how much practice and momentum matter on it (as AFM/PFA give each item its own
# learning rate), learned online from every learner's answers.
K_GAIN = 0.0375
DECAY_GAIN = 0.002
N_GAINS = 3


@dataclass(slots=True)
class Learner:
    """A learner's global (or per-subject) ability, practice and momentum."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0  # exponentially weighted mean of the latest outcomes, in [-1, 1]
    wins: int = 0
    fails: int = 0


@dataclass(slots=True)
class SkillState:
    """One learner on one skill/topic."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0
    wins: int = 0
    fails: int = 0


@dataclass(slots=True)
class Item:
    """A question's difficulty, and how much practice and momentum matter on it (`gains`),
    learned from every learner's answers."""

    difficulty: float = 0.0
    n: int = 0
    gains: list[float] = field(default_factory=lambda: [0.0] * N_GAINS)


@dataclass(slots=True)
class Topic:
    """What a skill/topic adds to the difficulty of the questions tagged with it (negative:
    they are harder), learned from every learner's answers."""

    shift: float = 0.0
    n: int = 0


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _k(k0: float, decay: float, n: int) -> float:
    return k0 / (1.0 + decay * n)


def ability_logit(
    learner: Learner, skills: Sequence[SkillState], topics: Sequence[Topic] = ()
) -> float:
    """The learner's log-odds of success on a question of difficulty 0 tagged with `skills`
    (and, when given, the global `topics` of the same skills)."""
    z = (
        learner.ability
        + W_RECENT * learner.recent
        + W_WINS * math.log1p(learner.wins)
        + W_FAILS * math.log1p(learner.fails)
    )
    if skills:
        z += sum(
            s.ability
            + W_SKILL_RECENT * s.recent
            + W_SKILL_WINS * math.log1p(s.wins)
            + W_SKILL_FAILS * math.log1p(s.fails)
            for s in skills
        ) / len(skills)
    if topics:
        z += sum(t.shift for t in topics) / len(topics)
    return z


def _gain_features(learner: Learner, skills: Sequence[SkillState]) -> tuple[float, ...]:
    count = len(skills) or 1
    return (
        sum(math.log1p(s.n) for s in skills) / count,
        learner.recent,
        sum(s.recent for s in skills) / count,
    )


def logit(
    learner: Learner, skills: Sequence[SkillState], item: Item, topics: Sequence[Topic] = ()
) -> float:
    """The predicted log-odds of a correct answer (before seeing it)."""
    gains = sum(g * f for g, f in zip(item.gains, _gain_features(learner, skills), strict=False))
    return ability_logit(learner, skills, topics) - item.difficulty + gains


def predict(
    learner: Learner, skills: Sequence[SkillState], item: Item, topics: Sequence[Topic] = ()
) -> float:
    """P(correct) for this learner on this item, tagged with these skills."""
    return _sigmoid(logit(learner, skills, item, topics))


def update(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    correct: bool,
    topics: Sequence[Topic] = (),
    *,
    learn_item: bool = True,
) -> float:
    """Folds one graded answer into the states in place; returns the prediction it corrected.

    `learn_item=False` leaves the item and topics as they are (a benchmark's frozen protocol).
    Callers must call this once per answer (the API claims the answer first: idempotency)."""
    features = _gain_features(learner, skills)
    p = predict(learner, skills, item, topics)
    error = (1.0 if correct else 0.0) - p
    outcome = 1.0 if correct else -1.0
    if learn_item:
        k_gain = _k(K_GAIN, DECAY_GAIN, item.n)
        item.gains = [g + k_gain * error * f for g, f in zip(item.gains, features, strict=False)]
        item.difficulty -= _k(K_ITEM, DECAY_ITEM, item.n) * error
        item.n += 1
        share = error / len(topics) if topics else 0.0
        for topic in topics:
            topic.shift += _k(K_TOPIC, DECAY_TOPIC, topic.n) * share
            topic.n += 1
    learner.ability += _k(K_LEARNER, DECAY_LEARNER, learner.n) * error
    learner.n += 1
    learner.recent += RECENT_RATE * (outcome - learner.recent)
    if correct:
        learner.wins += 1
    else:
        learner.fails += 1
    for skill in skills:
        skill.ability += _k(K_SKILL, DECAY_SKILL, skill.n) * error
        skill.n += 1
        skill.recent += RECENT_RATE * (outcome - skill.recent)
        if correct:
            skill.wins += 1
        else:
            skill.fails += 1
    return p
