"""A learner's payments; someone else's is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from studymate_api.core.errors import NotFound

from ..models import Payment

if TYPE_CHECKING:
    from accounts.models import User


def payment_list(*, user: User) -> QuerySet[Payment]:
    return (
        Payment.objects.select_related("plan", "credit_pack")
        .filter(user=user)
        .order_by("-paid_at", "-id")
    )


def payment_get(*, user: User, payment_id: int) -> Payment:
    payment = Payment.objects.select_related("plan", "credit_pack", "user").filter(
        pk=payment_id, user=user
    )
    found = payment.first()
    if found is None:
        raise NotFound()
    return found
