"""Credits: charges, grants, refunds and admin adjustments, all through one append.

Concurrency. Every change appends one `CreditLedger` row while holding the learner's
`CreditBalance` row lock (`select_for_update`): two charges of one learner run one after the
other, the second sees the first's `balance_after`, and a charge that would take the balance
below zero raises `InsufficientCredits` instead (the database's check constraint is the last
guard). On SQLite, whose transactions take the write lock up front, the same holds.

Idempotency. Each change has a unique `idempotency_key`: the same key applies once, and a
repeat returns the entry that was written the first time.

The free plan's allowance is granted lazily, under the same lock, the first time a free learner's
credits are used or looked at in a calendar month (UTC), keyed by that month. Paid plans get
theirs when Stripe reports the period's invoice paid (`allowance:invoice:<id>`).
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import InsufficientCredits, validation_failed

from ..models import CreditBalance, CreditLedger, CreditReason
from ..selectors.credits import credits_balance
from ..selectors.plans import effective_plan

if TYPE_CHECKING:
    from accounts.models import User


def month_key(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m")


def free_allowance_key(user_id: int, moment: datetime.datetime) -> str:
    return f"allowance:free:{user_id}:{month_key(moment)}"


def credits_charge(
    *, user: User, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> CreditLedger:
    """Takes `amount` credits, once per `idempotency_key`; raises `InsufficientCredits` (402)
    when the balance is short, and then nothing is taken."""
    if amount <= 0:
        raise ValueError("a charge takes a positive amount")
    with transaction.atomic():
        _lock(user.pk)
        _grant_free_allowance_locked(user)
        return _append_locked(user.pk, -amount, reason, idempotency_key, reference)


def credits_grant(
    *,
    user: User,
    amount: int,
    reason: str,
    idempotency_key: str,
    reference: str = "",
    created_by: User | None = None,
) -> CreditLedger:
    """Adds `amount` credits (allowance, top-up), once per `idempotency_key`."""
    if amount <= 0:
        raise ValueError("a grant adds a positive amount")
    with transaction.atomic():
        _lock(user.pk)
        return _append_locked(user.pk, amount, reason, idempotency_key, reference, created_by)


def credits_refund(*, user: User, charge_key: str, reference: str = "") -> CreditLedger | None:
    """Gives back what the charge `charge_key` took, once; None if there was no such charge."""
    with transaction.atomic():
        _lock(user.pk)
        charge = CreditLedger.objects.filter(idempotency_key=charge_key, user=user).first()
        if charge is None or charge.delta >= 0:
            return None
        key = f"{charge_key}:refund"
        return _append_locked(
            user.pk, -charge.delta, CreditReason.AI_REFUND, key, reference or charge.reference
        )


def credits_take_back(
    *, user: User, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> CreditLedger | None:
    """Takes back up to `amount` credits of an earlier grant, once per `idempotency_key`: only
    what is left (never below zero), since credits already spent cannot be returned. None when
    there is nothing left to take."""
    if amount <= 0:
        raise ValueError("taking back needs a positive amount")
    with transaction.atomic():
        _lock(user.pk)
        existing = CreditLedger.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.user_id != user.pk:
                raise ValueError(f"idempotency key {idempotency_key!r} belongs to another user")
            return existing
        take = min(amount, credits_balance(user_id=user.pk))
        if take == 0:
            return None
        return _append_locked(user.pk, -take, reason, idempotency_key, reference)


def credits_adjust(*, user: User, delta: int, note: str, admin: User) -> CreditLedger:
    """An administrator's correction, with the reason written down; it cannot take the balance
    below zero."""
    if delta == 0:
        raise validation_failed("delta", _("An adjustment must add or remove credits."))
    if not note.strip():
        raise validation_failed("reference", _("Say why the credits are adjusted."))
    with transaction.atomic():
        _lock(user.pk)
        key = f"admin:{uuid.uuid4()}"
        return _append_locked(
            user.pk, delta, CreditReason.ADMIN_ADJUSTMENT, key, note.strip(), admin
        )


def credits_ensure_allowance(*, user: User) -> None:
    """Grants the free plan's allowance of this month if it is due (a no-op otherwise)."""
    with transaction.atomic():
        _lock(user.pk)
        _grant_free_allowance_locked(user)


# --- under the lock -----------------------------------------------------------------------------


def _lock(user_id: int) -> None:
    CreditBalance.objects.get_or_create(user_id=user_id)
    CreditBalance.objects.select_for_update().get(user_id=user_id)


def _grant_free_allowance_locked(user: User) -> None:
    plan = effective_plan(user=user)
    if not plan.is_free or plan.monthly_credits == 0:
        return
    key = free_allowance_key(user.pk, timezone.now())
    if not CreditLedger.objects.filter(idempotency_key=key).exists():
        reference = f"{plan.code} {month_key(timezone.now())}"
        _append_locked(
            user.pk, plan.monthly_credits, CreditReason.MONTHLY_ALLOWANCE, key, reference
        )


def _append_locked(
    user_id: int,
    delta: int,
    reason: str,
    key: str,
    reference: str,
    created_by: User | None = None,
) -> CreditLedger:
    existing = CreditLedger.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.user_id != user_id:
            raise ValueError(f"idempotency key {key!r} belongs to another user")
        return existing
    balance = credits_balance(user_id=user_id)
    if balance + delta < 0:
        raise InsufficientCredits(
            _("Not enough credits: this needs %(needed)d, you have %(balance)d.")
            % {"needed": -delta, "balance": balance}
        )
    try:
        with transaction.atomic():
            return CreditLedger.objects.create(
                user_id=user_id,
                delta=delta,
                reason=reason,
                reference=reference[:255],
                idempotency_key=key,
                balance_after=balance + delta,
                created_by=created_by,
            )
    except IntegrityError:
        # Only possible when the lock was bypassed (a key reused by another user's change).
        return CreditLedger.objects.get(idempotency_key=key)
