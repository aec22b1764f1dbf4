"""Ordering: one suggestion per thing, best first, with a diversity cap on the top of the list.

The cap: among the first TOP positions, at most PER_TYPE_IN_TOP of one type. Each position
takes the best-scoring suggestion whose type still has room (a greedy re-rank, which is optimal
for a per-type cap). When the candidates run out before the top is full, the list ends there:
filling the top with more of a capped type would break the cap, so the remaining ones are left
out rather than shown out of place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence

from .types import Recommendation

TOP = 10
PER_TYPE_IN_TOP = 3


def best_first(recommendations: Iterable[Recommendation]) -> list[Recommendation]:
    return sorted(recommendations, key=lambda r: (-r.score, r.type.value, r.key))


def unique(
    recommendations: Iterable[Recommendation],
    key: Callable[[Recommendation], Hashable] = lambda r: r.key,
) -> list[Recommendation]:
    """The best-scoring suggestion of each key, best first."""
    seen: set[Hashable] = set()
    kept = []
    for recommendation in best_first(recommendations):
        if key(recommendation) not in seen:
            seen.add(key(recommendation))
            kept.append(recommendation)
    return kept


def diversified(
    ranked: Sequence[Recommendation], *, top: int = TOP, per_type: int = PER_TYPE_IN_TOP
) -> list[Recommendation]:
    """`ranked` (best first) re-ranked so that no type fills more than `per_type` of the
    first `top` positions."""
    head: list[Recommendation] = []
    tail: list[Recommendation] = []
    counts: Counter[str] = Counter()
    for recommendation in ranked:
        if len(head) < top and counts[recommendation.type] < per_type:
            head.append(recommendation)
            counts[recommendation.type] += 1
        else:
            tail.append(recommendation)
    return head + tail if len(head) == top else head
