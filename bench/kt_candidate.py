"""A candidate knowledge-state model: Elo/IRT ratings with decayed practice counts (PFA /
Best-LR features), momentum, per-question gains, and forgetting with time since practice.

Not in production: `bench/kt_bench.py` replays it beside `personalization.knowledge`, and
`bench/kt_fit.py` fits its constants on the train files only. One graded answer to a question
is one observation, whatever the number of topics (skills) the question is tagged with. The
logit of a correct answer is

    z = ability(learner) + W_RECENT * recent(learner) + W_SURPRISE * surprise(learner)
        + W_WINS * log(1 + wins) + W_FAILS * log(1 + fails)          (the learner's, decayed)
        + mean over the question's skills of
            [r * (ability(learner, skill) + W_SKILL_RECENT * recent(skill))
             + W_SKILL_WINS * log(1 + r * wins(skill)) + W_SKILL_FAILS * log(1 + r * fails(skill))]
        - difficulty(item)
        + gains(item) . f
        + mean over the question's skills of [shift(topic) + gains(topic) . f]   (optional rows)

    f = [log(1 + practice on the skills), recent(learner), recent(skills), last outcome,
         log(1 + wins) - log(1 + fails)]

- `ability(learner)` is an Elo rating per learner (or per learner and subject) and
  `ability(learner, skill)` a per-skill offset; `difficulty(item)` is learned from every
  learner's answers, its cold start the authored level (`new_item`; the public files have none,
  so there every question starts at 0). Each moves by K(n) * (outcome - prediction) with
  K(n) = K0 / (1 + DECAY * n): new learners and items move fast, well-observed ones settle
  (an uncertainty-adaptive learning rate, as in Pelánek's Elo variants).
- `wins` and `fails` are the practice counts of PFA (Pavlik et al. 2009) and Best-LR (Gervet et
  al. 2020), decayed: each later answer multiplies them by 0.5 ** (1 / half-life), so they count
  the latest ~COUNT_HALF_LIFE answers of the learner (SKILL_COUNT_HALF_LIFE of the skill) most.
- `recent` is an exponentially weighted mean of the latest outcomes (in [-1, 1]) and `surprise`
  of the latest prediction errors: momentum that the slowly moving ratings trail behind.
- `gains(item)` weigh practice and momentum for one question (as AFM/PFA give each item its own
  learning rate), learned online by a logistic-regression step like the difficulty.
- `r` is forgetting, the share of a skill's evidence kept since its last practice:
  0.5 ** (elapsed days / FORGETTING_HALF_LIFE_DAYS), 1 when the time is unknown. The learner's
  offset, momentum and counts on the skill shrink toward the prior (0) as time passes. The
  public files have no times, so the half-life is a documented default, not a fit;
  `bench/kt_forgetting_sim.py` checks on simulated learners who forget that the term is neutral
  without times, helps when learners forget (true half-lives 7 to 120 days: log loss 0.541 ->
  0.533, 0.460 -> 0.455, 0.383 -> 0.381 at the default 30 days) and that the best model
  half-life rises with the true one, though shorter (7, 15 and 30 days for 7, 30 and 120).
- `Topic` rows (what a skill adds to the difficulty of its questions, and its gains: how much
  practice and momentum matter on the skill, shared by every learner) are optional: they are
  the only rows every learner's answers would write. Frozen after the train file (as if a
  periodic job wrote them from the answers' logged errors) they lose almost nothing, so the app
  can read them per answer and write them in batches. `WITHOUT_TOPICS` holds the constants
  refitted without them; kt_bench.py reports all three.

State per row (what the app persists): per learner (or learner and subject) `Learner`: ability,
n, recent, surprise, last, wins, fails; per learner and skill `SkillState`: ability, n, recent,
wins, fails, last_practiced; per question `Item`: difficulty, n, gains (5 floats); optionally
per topic `Topic`: shift, n, gains (5 floats). Predict and
update touch a fixed number of numbers per skill: O(skills) per answer, no per-learner-per-item
state (on Statics, where each question is its own skill, `SkillState` is that state anyway:
learners re-attempt 0.9% of the questions there, and the per-skill terms earn nothing).

Measured (bench/kt_bench.py, production protocol, test files; the train-validation AUC that
chose the variant in brackets): `assist2009_pid` de-duplicated 0.7794 (0.7764) against 0.7626
for the production model; Statics2011 0.8313 (0.8240) against 0.8299; ASSIST2009 (DKVMN file)
de-duplicated 0.7481 against 0.7482. Without topic rows (refitted): 0.7716, 0.8317, 0.7472. With
topic rows frozen after the train file: 0.7793, 0.8321. About 8-12 us per predict+update in the
pure-Python replay. On the de-duplicated `assist2009_pid` view the terms earn (AUC lost when
taken out, others as fitted): count decay 0.004, topic shifts 0.004, topic gains 0.003, per-skill
abilities 0.002, per-question gains 0.002, counts, momentum and surprise < 0.001 each. Topic
gains earn 0.015 on the raw (leaky) view, 0.003 on the de-duplicated one: only the latter is
claimed. Tried and dropped (train validation): an online learner x item factor (2-8 dims, SGD;
at best +0.002 on `assist2009_pid`, -0.004 on Statics), a per-question slope on ability (2PL),
update rates scaled by the other side's certainty, pooling the skills by sum instead of mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Fitted by bench/kt_fit.py on the train files only (the rates by coordinate search on a 70/30
# split of the train learners of `assist2009_pid` (de-duplicated) and Statics2011, the W_*
# weights by logistic regression over the train replay); bench/kt_bench.py reports the test
# files. One set of constants serves every subject.
K_LEARNER = 0.225
DECAY_LEARNER = 0.01
K_SKILL = 0.4
DECAY_SKILL = 0.1
K_ITEM = 0.399
DECAY_ITEM = 0.0884
K_TOPIC = 0.1
DECAY_TOPIC = 0.01
K_TOPIC_GAIN = 0.01
DECAY_TOPIC_GAIN = 0.001
RECENT_RATE = 0.5
LEARNER_RECENT_RATE = 0.125
SURPRISE_RATE = 0.3
COUNT_HALF_LIFE = 5.0  # in the learner's answers
SKILL_COUNT_HALF_LIFE = 7.0  # in the learner's answers on the skill
K_GAIN = 0.0281
DECAY_GAIN = 0.002
W_SKILL_WINS = 0.0686
W_SKILL_FAILS = 0.4659
W_WINS = 0.5609
W_FAILS = -0.2156
W_SKILL_RECENT = 0.2405
W_RECENT = 0.0483
W_SURPRISE = 0.5619
N_GAINS = 5

# The three-row variant: no per-topic rows (K_TOPIC = K_TOPIC_GAIN = 0), its other constants
# refitted by `bench/kt_fit.py --without-topics`.
WITHOUT_TOPICS: dict[str, float] = {
    "K_TOPIC": 0.0,
    "K_TOPIC_GAIN": 0.0,
    "K_LEARNER": 0.1496,
    "DECAY_LEARNER": 0.01,
    "K_SKILL": 0.4,
    "DECAY_SKILL": 0.1,
    "K_ITEM": 0.5307,
    "DECAY_ITEM": 0.0884,
    "RECENT_RATE": 1.0,
    "LEARNER_RECENT_RATE": 0.25,
    "SURPRISE_RATE": 0.3,
    "COUNT_HALF_LIFE": 10.0,
    "SKILL_COUNT_HALF_LIFE": 7.0,
    "K_GAIN": 0.0281,
    "DECAY_GAIN": 0.002,
    "W_SKILL_WINS": 0.2195,
    "W_SKILL_FAILS": 0.2839,
    "W_WINS": 0.4425,
    "W_FAILS": -0.2241,
    "W_SKILL_RECENT": 0.157,
    "W_RECENT": 0.2406,
    "W_SURPRISE": 0.3855,
}

# Forgetting: a skill's evidence halves after this many days without practice. Not fitted (the
# public files have no times): a default in the range of the half-lives that spaced-practice
# studies report for skills (weeks to months); bench/kt_forgetting_sim.py validates the term.
FORGETTING_HALF_LIFE_DAYS = 30.0

# Authored difficulty -> starting logit difficulty (cold start for questions nobody answered).
AUTHORED_DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


@dataclass(slots=True)
class Learner:
    """A learner's global (or per-subject) rating, momentum and decayed practice counts."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0  # exponentially weighted mean of the latest outcomes, in [-1, 1]
    surprise: float = 0.0  # exponentially weighted mean of the latest prediction errors
    last: float = 0.0  # the latest outcome: 1, -1, or 0 before the first answer
    wins: float = 0.0  # decayed counts of correct and wrong answers
    fails: float = 0.0


@dataclass(slots=True)
class SkillState:
    """One learner on one skill/topic."""

    ability: float = 0.0
    n: int = 0  # answers on the skill (the learning-rate schedule; never decayed)
    recent: float = 0.0
    wins: float = 0.0
    fails: float = 0.0
    last_practiced: float | None = None  # day of the latest answer on the skill, if known


@dataclass(slots=True)
class Item:
    """A question's difficulty, and how much practice and momentum matter on it (`gains`),
    learned from every learner's answers."""

    difficulty: float = 0.0
    n: int = 0
    gains: list[float] = field(default_factory=lambda: [0.0] * N_GAINS)


@dataclass(slots=True)
class Topic:
    """Optional shared row: what a skill adds to the difficulty of its questions (negative:
    they are harder), learned from every learner's answers."""

    shift: float = 0.0
    n: int = 0
    gains: list[float] = field(default_factory=lambda: [0.0] * N_GAINS)


def new_item(authored_level: str | None = None) -> Item:
    """A question nobody has answered yet, starting at its authored difficulty."""
    return Item(difficulty=AUTHORED_DIFFICULTY.get(authored_level or "medium", 0.0))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _k(k0: float, decay: float, n: int) -> float:
    return k0 / (1.0 + decay * n)


def retention(skill: SkillState, now: float | None) -> float:
    """The share of a skill's practice evidence still held `now` (days): 1 without times."""
    if now is None or skill.last_practiced is None or now <= skill.last_practiced:
        return 1.0
    return math.pow(0.5, (now - skill.last_practiced) / FORGETTING_HALF_LIFE_DAYS)


def forget(skill: SkillState, now: float | None) -> None:
    """Brings a skill's evidence to `now` in place: the learner's offset on the skill, its
    practice counts and its recent outcomes shrink toward the prior (0) by `retention`."""
    kept = retention(skill, now)
    if kept != 1.0:
        skill.ability *= kept
        skill.recent *= kept
        skill.wins *= kept
        skill.fails *= kept
    if now is not None:
        skill.last_practiced = now


def _terms(
    learner: Learner, skills: Sequence[SkillState], now: float | None
) -> tuple[float, tuple[float, ...]]:
    """The learner's log-odds on a question of difficulty 0 without its gains, and the features
    the question's gains weigh, both with the skills' evidence brought to `now`."""
    z = (
        learner.ability
        + W_RECENT * learner.recent
        + W_SURPRISE * learner.surprise
        + W_WINS * math.log1p(learner.wins)
        + W_FAILS * math.log1p(learner.fails)
    )
    practice = skill_recent = 0.0
    if skills:
        skill_z = 0.0
        for s in skills:
            kept = retention(s, now)
            skill_z += (
                kept * (s.ability + W_SKILL_RECENT * s.recent)
                + W_SKILL_WINS * math.log1p(kept * s.wins)
                + W_SKILL_FAILS * math.log1p(kept * s.fails)
            )
            practice += math.log1p(s.n)
            skill_recent += kept * s.recent
        count = len(skills)
        z += skill_z / count
        practice /= count
        skill_recent /= count
    balance = math.log1p(learner.wins) - math.log1p(learner.fails)
    return z, (practice, learner.recent, skill_recent, learner.last, balance)


def ability_logit(
    learner: Learner,
    skills: Sequence[SkillState],
    topics: Sequence[Topic] = (),
    now: float | None = None,
) -> float:
    """The learner's log-odds of success on a question of difficulty 0 tagged with `skills`
    (and, when given, the shared `topics` of the same skills), without per-question gains."""
    z = _terms(learner, skills, now)[0]
    if topics:
        z += sum(t.shift for t in topics) / len(topics)
    return z


def _logit_and_features(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    topics: Sequence[Topic],
    now: float | None,
) -> tuple[float, tuple[float, ...]]:
    z, features = _terms(learner, skills, now)
    for t in topics:
        z += sum(g * f for g, f in zip(t.gains, features, strict=True)) / len(topics)
    # Per question, how much practice and momentum matter on it (as AFM/PFA give each item its
    # own learning rate), learned online like its difficulty.
    if topics:
        z += sum(t.shift for t in topics) / len(topics)
    z += sum(g * f for g, f in zip(item.gains, features, strict=True)) - item.difficulty
    return z, features


def logit(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    topics: Sequence[Topic] = (),
    now: float | None = None,
) -> float:
    """The predicted log-odds of a correct answer (before seeing it), `now` in days."""
    return _logit_and_features(learner, skills, item, topics, now)[0]


def predict(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    topics: Sequence[Topic] = (),
    now: float | None = None,
) -> float:
    """P(correct) for this learner on this item, tagged with these skills."""
    return _sigmoid(logit(learner, skills, item, topics, now))


def update(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    correct: bool,
    topics: Sequence[Topic] = (),
    *,
    learn_item: bool = True,
    now: float | None = None,
) -> float:
    """Folds one graded answer into the states in place; returns the prediction it corrected.

    `now`: the time of the answer in days (any epoch; None when unknown, which makes the
    forgetting neutral). `learn_item=False` leaves the item and topics as they are (a
    benchmark's frozen protocol). Callers must call this once per answer (the API claims the
    answer first: idempotency)."""
    for skill in skills:
        forget(skill, now)
    z, features = _logit_and_features(learner, skills, item, topics, None)
    p = _sigmoid(z)
    error = (1.0 if correct else 0.0) - p
    outcome = 1.0 if correct else -1.0
    if learn_item:
        k_gain = _k(K_GAIN, DECAY_GAIN, item.n)
        item.gains = [g + k_gain * error * f for g, f in zip(item.gains, features, strict=True)]
        item.difficulty -= _k(K_ITEM, DECAY_ITEM, item.n) * error
        item.n += 1
        share = error / len(topics) if topics else 0.0
        for topic in topics:
            k_topic_gain = _k(K_TOPIC_GAIN, DECAY_TOPIC_GAIN, topic.n) * share
            topic.gains = [g + k_topic_gain * f for g, f in zip(topic.gains, features, strict=True)]
            topic.shift += _k(K_TOPIC, DECAY_TOPIC, topic.n) * share
            topic.n += 1
    learner.ability += _k(K_LEARNER, DECAY_LEARNER, learner.n) * error
    learner.n += 1
    learner.last = outcome
    # The learner's recent prediction errors: a fast-moving correction to the slow rating.
    learner.surprise += SURPRISE_RATE * (error - learner.surprise)
    learner.recent += LEARNER_RECENT_RATE * (outcome - learner.recent)
    # Practice counts fade with later practice: each answer multiplies the learner's earlier
    # counts (each answer on a skill, the skill's) by the decay of its half-life in answers.
    count_decay = 0.5 ** (1.0 / COUNT_HALF_LIFE)
    skill_count_decay = 0.5 ** (1.0 / SKILL_COUNT_HALF_LIFE)
    learner.wins = learner.wins * count_decay + (1.0 if correct else 0.0)
    learner.fails = learner.fails * count_decay + (0.0 if correct else 1.0)
    for skill in skills:
        skill.ability += _k(K_SKILL, DECAY_SKILL, skill.n) * error
        skill.n += 1
        skill.recent += RECENT_RATE * (outcome - skill.recent)
        skill.wins = skill.wins * skill_count_decay + (1.0 if correct else 0.0)
        skill.fails = skill.fails * skill_count_decay + (0.0 if correct else 1.0)
    return p
