"""Online knowledge-state model: Elo/IRT ratings with decayed practice counts (PFA / Best-LR
features), momentum, per-question gains, and forgetting with the time since a skill's practice.

No Django imports: `bench/kt_bench.py` replays public learner data through exactly this code,
and the API persists the same state objects (see `personalization.services.knowledge`). One
graded answer to a question is one observation, whatever the number of topics (skills) it is
tagged with. The logit of a correct answer is

    z = ability(learner) + W_RECENT * recent(learner) + W_SURPRISE * surprise(learner)
        + W_WINS * log(1 + wins) + W_FAILS * log(1 + fails)          (the learner's, decayed)
        + mean over the question's skills of
            [r * (ability(learner, skill) + W_SKILL_RECENT * recent(skill))
             + W_SKILL_WINS * log(1 + r * wins(skill)) + W_SKILL_FAILS * log(1 + r * fails(skill))]
        - difficulty(item)
        + gains(item) . f

    f = [log(1 + practice on the skills), recent(learner), recent(skills), last outcome,
         log(1 + wins) - log(1 + fails)]

- `ability(learner)` is an Elo rating per learner (or per learner and subject) and
  `ability(learner, skill)` a per-skill offset; `difficulty(item)` is learned from every
  learner's answers, its cold start the authored level (`new_item`). Each moves by
  K(n) * (outcome - prediction) with K(n) = K0 / (1 + DECAY * n): new learners and items move
  fast, well-observed ones settle (an uncertainty-adaptive learning rate, as in Pelánek's Elo
  variants).
- `wins` and `fails` are the practice counts of PFA (Pavlik et al. 2009) and Best-LR (Gervet et
  al. 2020), decayed: each later answer multiplies them by 0.5 ** (1 / half-life), so they count
  the latest ~COUNT_HALF_LIFE answers of the learner (SKILL_COUNT_HALF_LIFE of the skill) most.
- `recent` is an exponentially weighted mean of the latest outcomes (in [-1, 1]) and `surprise`
  of the latest prediction errors: momentum that the slowly moving ratings trail behind.
- `gains(item)` weigh practice and momentum for one question (as AFM/PFA give each item its own
  learning rate), learned online by a logistic-regression step like the difficulty.
- `r` is forgetting, the share of a skill's evidence kept since its last practice:
  0.5 ** (elapsed days / FORGETTING_HALF_LIFE_DAYS), 1 when the time is unknown.

Three rows hold the state (what the app persists): per learner (or learner and subject)
`Learner`, per learner and skill `SkillState`, per question `Item`. Predict and update touch a
fixed number of numbers per skill: O(skills) per answer. bench/kt_candidate.py keeps a fourth,
shared per-topic row beside this model (worth 0.008 AUC on ASSIST2009, nothing on Statics): it
would be written by every learner's answers, so it stays a candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Fitted by `bench/kt_fit.py --without-topics` on the train files only (the rates by coordinate
# search on a 70/30 split of the train learners of `assist2009_pid` (de-duplicated) and
# Statics2011, the W_* weights by logistic regression over the train replay);
# bench/kt_bench.py reports the test files. One set of constants serves every subject.
K_LEARNER = 0.1496
DECAY_LEARNER = 0.01
K_SKILL = 0.4
DECAY_SKILL = 0.1
K_ITEM = 0.5307
DECAY_ITEM = 0.0884
RECENT_RATE = 1.0  # a skill's `recent` is its latest outcome
LEARNER_RECENT_RATE = 0.25
SURPRISE_RATE = 0.3
COUNT_HALF_LIFE = 10.0  # in the learner's answers
SKILL_COUNT_HALF_LIFE = 7.0  # in the learner's answers on the skill
K_GAIN = 0.0281
DECAY_GAIN = 0.002
W_SKILL_WINS = 0.2195
W_SKILL_FAILS = 0.2839
W_WINS = 0.4425
W_FAILS = -0.2241
W_SKILL_RECENT = 0.157
W_RECENT = 0.2406
W_SURPRISE = 0.3855
N_GAINS = 5

# Forgetting: a skill's evidence halves after this many days without practice. Not fitted (the
# public files have no times): a default in the range of the half-lives that spaced-practice
# studies report for skills (weeks to months); bench/kt_forgetting_sim.py validates the term.
FORGETTING_HALF_LIFE_DAYS = 30.0

# Authored difficulty -> starting logit difficulty, around the typical question's learned
# difficulty: the practice counts add to every learner's logit (a learner with a few answers
# has wins and fails), and the learned difficulties absorb that, so "medium" means the typical
# learned difficulty, not 0. TYPICAL_DIFFICULTY is the answer-weighted mean difficulty of the
# questions after the train files' replay (bench/kt_fit.py prints it).
AUTHORED_DIFFICULTY = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
TYPICAL_DIFFICULTY = 0.0


@dataclass(slots=True)
class Learner:
    """A learner's global (or per-subject) rating, momentum and decayed practice counts."""

    ability: float = 0.0
    n: int = 0
    recent: float = 0.0  # exponentially weighted mean of the latest outcomes, in [-1, 1]
    last: float = 0.0  # the latest outcome: 1, -1, or 0 before the first answer
    surprise: float = 0.0  # exponentially weighted mean of the latest prediction errors
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

    difficulty: float = TYPICAL_DIFFICULTY
    n: int = 0
    gains: list[float] = field(default_factory=lambda: [0.0] * N_GAINS)


def new_item(authored_level: str | None = None) -> Item:
    """A question nobody has answered yet, starting at its authored difficulty."""
    return Item(TYPICAL_DIFFICULTY + AUTHORED_DIFFICULTY.get(authored_level or "medium", 0.0))


def item_gains(stored: object) -> list[float]:
    """Stored gains as the model needs them: N_GAINS floats (rows written before a gain was
    added have fewer; the missing ones start at 0)."""
    gains = [float(g) for g in stored][:N_GAINS] if isinstance(stored, list) else []
    return gains + [0.0] * (N_GAINS - len(gains))


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


def _learner_terms(learner: Learner, recent: float) -> float:
    return (
        learner.ability
        + W_RECENT * recent
        + W_SURPRISE * learner.surprise
        + W_WINS * math.log1p(learner.wins)
        + W_FAILS * math.log1p(learner.fails)
    )


def _skill_terms(skill: SkillState, kept: float) -> float:
    return (
        kept * (skill.ability + W_SKILL_RECENT * skill.recent)
        + W_SKILL_WINS * math.log1p(kept * skill.wins)
        + W_SKILL_FAILS * math.log1p(kept * skill.fails)
    )


def _terms(
    learner: Learner, skills: Sequence[SkillState], now: float | None
) -> tuple[float, tuple[float, ...]]:
    """The learner's log-odds on a question of difficulty 0 without its gains, and the features
    the question's gains weigh, both with the skills' evidence brought to `now`."""
    z = _learner_terms(learner, learner.recent)
    practice = skill_recent = 0.0
    if skills:
        skill_z = 0.0
        for s in skills:
            kept = retention(s, now)
            skill_z += _skill_terms(s, kept)
            practice += math.log1p(s.n)
            skill_recent += kept * s.recent
        count = len(skills)
        z += skill_z / count
        practice /= count
        skill_recent /= count
    balance = math.log1p(learner.wins) - math.log1p(learner.fails)
    return z, (practice, learner.recent, skill_recent, learner.last, balance)


def ability_logit(
    learner: Learner, skills: Sequence[SkillState], now: float | None = None
) -> float:
    """The learner's log-odds of success on a question of difficulty 0 tagged with `skills`,
    without per-question gains."""
    return _terms(learner, skills, now)[0]


def _logit_and_features(
    learner: Learner, skills: Sequence[SkillState], item: Item, now: float | None
) -> tuple[float, tuple[float, ...]]:
    z, features = _terms(learner, skills, now)
    z += sum(g * f for g, f in zip(item.gains, features, strict=False)) - item.difficulty
    return z, features


def logit(
    learner: Learner, skills: Sequence[SkillState], item: Item, now: float | None = None
) -> float:
    """The predicted log-odds of a correct answer (before seeing it), `now` in days."""
    return _logit_and_features(learner, skills, item, now)[0]


def predict(
    learner: Learner, skills: Sequence[SkillState], item: Item, now: float | None = None
) -> float:
    """P(correct) for this learner on this item, tagged with these skills."""
    return _sigmoid(logit(learner, skills, item, now))


def topic_success(learner: Learner, skill: SkillState, now: float | None = None) -> float:
    """P(correct) on a typical medium question of one topic (no learned gains), with the
    learner's momentum read on that topic: the learner's terms and the topic's, and the topic's
    recent outcomes in place of the learner's latest ones.

    The latest answers are mostly on the topic being practised now, so when topics are compared
    the learner's momentum is the same for all of them, while the topic's says where they
    struggled lately. The weak-topic recommendations rank by this (bench/reco_eval.py replays
    the rule beside the others on public data)."""
    z = _learner_terms(learner, skill.recent) + _skill_terms(skill, retention(skill, now))
    return _sigmoid(z - TYPICAL_DIFFICULTY)


def update(
    learner: Learner,
    skills: Sequence[SkillState],
    item: Item,
    correct: bool,
    *,
    learn_item: bool = True,
    now: float | None = None,
) -> float:
    """Folds one graded answer into the states in place; returns the prediction it corrected.

    `now`: the time of the answer in days (any epoch; None when unknown, which makes the
    forgetting neutral). `learn_item=False` leaves the item as it is (a benchmark's frozen
    protocol). Callers must call this once per answer (the API claims the answer first:
    idempotency)."""
    for skill in skills:
        forget(skill, now)
    z, features = _logit_and_features(learner, skills, item, None)
    p = _sigmoid(z)
    error = (1.0 if correct else 0.0) - p
    outcome = 1.0 if correct else -1.0
    if learn_item:
        k_gain = _k(K_GAIN, DECAY_GAIN, item.n)
        gains = item_gains(item.gains)
        item.gains = [g + k_gain * error * f for g, f in zip(gains, features, strict=True)]
        item.difficulty -= _k(K_ITEM, DECAY_ITEM, item.n) * error
        item.n += 1
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


def confidence(n: int) -> float:
    """How settled an estimate is, in [0, 1): grows with the number of observations."""
    return n / (n + 10.0)


def band_pick(probabilities: Sequence[float], band: tuple[float, float]) -> int:
    """Index of the probability inside `band`, nearest its middle; the one closest to the band
    when none is inside."""
    low, high = band
    middle = (low + high) / 2
    return min(
        range(len(probabilities)),
        key=lambda i: (
            max(low - probabilities[i], probabilities[i] - high, 0.0),
            abs(probabilities[i] - middle),
        ),
    )


def success_band_pick(
    learner: Learner,
    skills: Sequence[SkillState],
    items: Sequence[Item],
    band: tuple[float, float],
    now: float | None = None,
) -> int:
    """Index of the item whose predicted success is inside `band`, nearest its middle;
    the one closest to the band when none is inside."""
    return band_pick([predict(learner, skills, item, now) for item in items], band)
