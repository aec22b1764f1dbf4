"""Content-format preference and best study hours from observed behaviour (no Django imports).

This is a *preference profile*: which formats a learner spends time on and does well with. It
is not a claim that teaching in the preferred format improves learning (the "learning styles"
matching hypothesis has no good evidence behind it); the platform uses it to offer formats the
learner engages with, never to withhold others.

Each observation (a session, an `update_pattern` call, a finished quiz) says: this long, on
content of this format, with this outcome. Its weight for the format is

    log(1 + minutes) * (0.5 + outcome)        outcome in [0, 1]; 0.5 when unknown

(engagement with diminishing returns, tilted by how well it went). Weights decay with a
half-life of HALF_LIFE_DAYS, so a learner's recent behaviour outweighs last year's. The style
scores are the decayed weights plus a small prior per style, normalized to sum to 1. The learner
is labelled with a style only when it leads the runner-up by LEAD_MARGIN with at least
MIN_EVIDENCE (decayed) observations; otherwise `mixed`. Confidence is n / (n + CONFIDENCE_HALF)
over the decayed number of observations: it grows with evidence and fades without it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STYLES = ("visual", "auditory", "kinesthetic", "reading")
MIXED = "mixed"

# Evidence loses half its weight every 30 days: a term's habits count, last year's barely do.
HALF_LIFE_DAYS = 30.0
# Pseudo-weight every style starts with: no evidence gives 0.25 each, not a division by zero.
PRIOR_WEIGHT = 0.5
# The leading style must beat the runner-up by this much of the total to name it.
LEAD_MARGIN = 0.15
MIN_EVIDENCE = 3.0
# Decayed observations at which confidence reaches 0.5.
CONFIDENCE_HALF = 5.0
# Outcome assumed when an observation carries none (neither boosts nor penalizes its format).
NEUTRAL_OUTCOME = 0.5

HOURS = 24
# The optimal study time is a window of this many hours.
WINDOW_HOURS = 2
# Weight of "when you usually study" next to "when you score best" in picking the window.
ACTIVITY_WEIGHT = 0.5
# Pseudo-count pulling a window's mean outcome toward the learner's overall mean.
OUTCOME_SHRINKAGE = 3.0
# Decayed study minutes at which the study window's evidence factor reaches 0.5 (five hours).
STUDY_MINUTES_HALF = 300.0


def decay_factor(elapsed_days: float) -> float:
    """How much evidence `elapsed_days` old still counts (1 now, 0.5 after a half-life)."""
    return float(0.5 ** (max(elapsed_days, 0.0) / HALF_LIFE_DAYS))


@dataclass(frozen=True)
class Observation:
    # Days since an arbitrary epoch (the caller uses UNIX time / 86400).
    day: float
    local_hour: int
    minutes: float
    style: str | None = None
    outcome: float | None = None
    # False when another source already reports these minutes as study time (a finished quiz
    # is also logged as study time): they then weigh the format but add no study hours.
    counts_time: bool = True


@dataclass
class Evidence:
    """The decayed sums as of `day` (None before the first observation)."""

    day: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    hour_minutes: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    hour_score_sums: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    hour_score_counts: list[float] = field(default_factory=lambda: [0.0] * HOURS)

    def decayed_to(self, day: float) -> Evidence:
        """A copy with every sum decayed to `day` (never forward in time: older stays)."""
        if self.day is None or day <= self.day:
            return self
        f = decay_factor(day - self.day)
        return Evidence(
            day=day,
            weights={k: v * f for k, v in self.weights.items()},
            counts={k: v * f for k, v in self.counts.items()},
            totals=dict(self.totals),
            hour_minutes=[v * f for v in self.hour_minutes],
            hour_score_sums=[v * f for v in self.hour_score_sums],
            hour_score_counts=[v * f for v in self.hour_score_counts],
        )


def observe(evidence: Evidence, observation: Observation) -> Evidence:
    """The evidence with one more observation. Late (older) observations count decayed."""
    current = evidence.decayed_to(observation.day)
    if current.day is None:
        current.day = observation.day
    f = decay_factor(current.day - observation.day)
    if observation.style in STYLES:
        style = observation.style
        outcome = NEUTRAL_OUTCOME if observation.outcome is None else observation.outcome
        weight = math.log1p(max(observation.minutes, 0.0)) * (0.5 + outcome)
        current.weights[style] = current.weights.get(style, 0.0) + weight * f
        current.counts[style] = current.counts.get(style, 0.0) + f
        current.totals[style] = current.totals.get(style, 0) + 1
    hour = observation.local_hour % HOURS
    if observation.counts_time:
        current.hour_minutes[hour] += max(observation.minutes, 0.0) * f
    if observation.outcome is not None:
        current.hour_score_sums[hour] += observation.outcome * f
        current.hour_score_counts[hour] += f
    return current


@dataclass(frozen=True)
class StyleProfile:
    learning_style: str
    style_scores: dict[str, float]
    confidence: float
    evidence: float


def style_profile(weights: Mapping[str, float], counts: Mapping[str, float]) -> StyleProfile:
    raw = {s: max(weights.get(s, 0.0), 0.0) + PRIOR_WEIGHT for s in STYLES}
    total = sum(raw.values())
    scores = {s: raw[s] / total for s in STYLES}
    evidence = sum(max(counts.get(s, 0.0), 0.0) for s in STYLES)
    ranked = sorted(STYLES, key=lambda s: scores[s], reverse=True)
    leads = scores[ranked[0]] - scores[ranked[1]] >= LEAD_MARGIN
    style = ranked[0] if leads and evidence >= MIN_EVIDENCE else MIXED
    return StyleProfile(style, scores, evidence / (evidence + CONFIDENCE_HALF), evidence)


@dataclass(frozen=True)
class StudyWindow:
    start_hour: int
    end_hour: int  # exclusive, modulo 24
    confidence: float


def optimal_window(
    hour_minutes: Sequence[float],
    hour_score_sums: Sequence[float],
    hour_score_counts: Sequence[float],
) -> StudyWindow | None:
    """The WINDOW_HOURS-hour window (wrapping midnight) that best combines when the learner
    studies and when they score best; None without any observed study time.

    value(window) = shrunk mean outcome in the window + ACTIVITY_WEIGHT * share of minutes in it
    where the mean is pulled toward the learner's overall mean by OUTCOME_SHRINKAGE, so a window
    with one lucky score does not win, and windows without scores are judged by activity alone.
    """
    total_minutes = sum(hour_minutes)
    if total_minutes <= 0:
        return None
    scored = sum(hour_score_counts)
    overall = sum(hour_score_sums) / scored if scored > 0 else NEUTRAL_OUTCOME

    def window(start: int) -> list[int]:
        return [(start + i) % HOURS for i in range(WINDOW_HOURS)]

    def value(start: int) -> tuple[float, float]:
        hours = window(start)
        share = sum(hour_minutes[h] for h in hours) / total_minutes
        n = sum(hour_score_counts[h] for h in hours)
        mean = (sum(hour_score_sums[h] for h in hours) + OUTCOME_SHRINKAGE * overall) / (
            n + OUTCOME_SHRINKAGE
        )
        return (mean + ACTIVITY_WEIGHT * share, share)

    best = max(range(HOURS), key=value)
    # Confidence: the share of study time inside the window (how concentrated the habit is)
    # times how much study time was observed.
    share = value(best)[1]
    evidence = total_minutes / (total_minutes + STUDY_MINUTES_HALF)
    return StudyWindow(best, (best + WINDOW_HOURS) % HOURS, evidence * share)


def usual_window(hour_minutes: Sequence[float]) -> StudyWindow | None:
    """When the learner usually studies: the window with the most study time, outcomes aside."""
    zeros = [0.0] * HOURS
    return optimal_window(hour_minutes, zeros, zeros)
