"""What the platform's own tables hold about a person, when their account is erased (called
by accounts' erasure, which deletes the user row last; the event store has its own,
`studymate_api.cqrs.events_forget_user`)."""

from __future__ import annotations

from django.db import transaction

from .models import AIUsage, DailyActiveUser, IdempotencyKey


@transaction.atomic
def platform_forget_user(*, user_id: int, surrogate_id: int) -> None:
    """AI usage rows lose their link to the person (costs and token counts stay: they are the
    platform's spend). Daily-active rows move to `surrogate_id` (a negative number that names
    nobody, distinct per erased account), so past DAU/WAU/MAU figures do not change. Stored
    idempotent responses go: they are the person's own answers. Running it again finds
    nothing."""
    AIUsage.objects.filter(user_id=user_id).update(user=None)
    DailyActiveUser.objects.filter(user_id=user_id).update(user_id=surrogate_id)
    IdempotencyKey.objects.filter(user_id=user_id).delete()
