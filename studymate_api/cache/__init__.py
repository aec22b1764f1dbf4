"""Shared caching: tagged values, single-flight recompute, statistics.

Typical use in a selector:

    _progress = TaggedCache("progress")

    def progress_get(*, user: User, subject_id: int) -> ProgressOut:
        return _progress.get_or_set(
            _progress.key(user=user, subject_id=subject_id),
            lambda: _progress_compute(user=user, subject_id=subject_id),
            tags=[f"user:{user.pk}", f"subject:{subject_id}"],
        )

and in the service that changes progress, after commit:
`invalidate_tags(f"user:{user.pk}")`.

Rules that keep answers correct:
- A key holds everything the value depends on. User-scoped values MUST pass the user (`user=`),
  or one learner is served another's data. Build keys only with `cache_key` / `TaggedCache.key`.
- Tag every value with the objects it was read from, and invalidate those tags in the services
  that write them (after commit, so a reader cannot re-cache the old row in between).
- Values must be picklable and should be plain data (dicts, dataclasses), never model instances
  or querysets.
- A cache failure never raises: the value is computed from the database and the failure counted
  (`studymate_cache_errors_total`) and logged.
"""

from __future__ import annotations

from .keys import cache_key
from .probe import HealthReport, check_health, describe_backend
from .stats import NamespaceStats, cache_stats, namespace_stats
from .strategy import Freshness, SmartCacheStrategy
from .tagged import GLOBAL_NAMESPACE, TaggedCache, clear_all, invalidate_tags

__all__ = [
    "GLOBAL_NAMESPACE",
    "Freshness",
    "HealthReport",
    "NamespaceStats",
    "SmartCacheStrategy",
    "TaggedCache",
    "cache_key",
    "cache_stats",
    "check_health",
    "clear_all",
    "describe_backend",
    "invalidate_tags",
    "namespace_stats",
]
