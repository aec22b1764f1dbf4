"""Retention: deleting the rows a policy no longer keeps, in bounded batches.

Every table that grows with use has a policy (README, "Retention"): the owning app's service
names the rows it no longer keeps and hands them to `delete_in_batches`; a thin beat task calls
that service. Rows go by primary key, `batch_size` at a time, at most `max_batches` batches per
call, so a backlog (the first run, or beat down for a week) is worked off over several runs
instead of by one statement or one task that outlives its time limit. A call deletes only what
the policy already dropped, so running it twice, or concurrently, is harmless: a row another run
deleted meanwhile is simply not counted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

__all__ = ["delete_in_batches"]


def delete_in_batches(rows: QuerySet[Any], *, batch_size: int, max_batches: int = 20) -> int:
    """Deletes `rows` (with what cascades from them), at most `batch_size` x `max_batches` of
    them; returns how many rows of their own model went."""
    model = rows.model
    label = model._meta.label
    deleted = 0
    for _batch in range(max_batches):
        ids = list(rows.values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += model._base_manager.filter(pk__in=ids).delete()[1].get(label, 0)
        if len(ids) < batch_size:
            break
    return deleted
