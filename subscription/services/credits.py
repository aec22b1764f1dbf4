"""Credits: charges, grants, refunds and admin adjustments, all through one append.

Concurrency. Every change appends one `CreditLedger` row while holding the learner's
`CreditBalance` row lock (`select_for_update`): two charges of one learner run one after the
other, the second sees the first's `balance_after`, and a charge that would take the balance
below zero raises `InsufficientCredits` instead (the database's check constraint is the last
guard). On SQLite, whose transactions take the write lock up front, the same holds.

Idempotency. Each change has a unique `idempotency_key`: the same key applies once, and a
repeat returns the entry that was written the first time. An AI request is charged once per
identity instead (`credits_charge_once`): the same request again within a window finds the
charge that stands and takes nothing.

Cost. A change is one transaction of three statements besides BEGIN and COMMIT: the lock (an
upsert, which also creates the learner's balance row), one read after it (the balance, whether
the keys involved are in the ledger, and for a charge the learner's plan terms), and one INSERT
of the new entries (the month's free allowance and the charge together). Only a repeated key
reads its entry.

The free plan's allowance is granted lazily, under the same lock, the first time a free learner's
credits are used or looked at in a calendar month (UTC), keyed by that month. Paid plans get
theirs when Stripe reports the period's invoice paid (`allowance:invoice:<id>`).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import InsufficientCredits, validation_failed

from ..models import CreditBalance, CreditLedger, CreditReason
from ..selectors.plans import PlanTerms, effective_plan_terms, effective_plan_terms_annotations

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
    now = timezone.now()
    with transaction.atomic():
        ledger = _locked(user.pk, idempotency_key, free_allowance_key(user.pk, now), plan=True)
        _grant_free_allowance_locked(ledger, user, now)
        entry = ledger.append(-amount, reason, idempotency_key, reference)
        ledger.save()
    return entry


def credits_charge_once(
    *,
    user: User,
    amount: int,
    reason: str,
    request_key: str,
    within: datetime.timedelta,
    reference: str = "",
) -> tuple[str, bool]:
    """Takes `amount` credits for a request, unless the same request (`request_key`) was
    charged within `within` and that charge was not refunded: then nothing is taken. Returns
    the key of the charge that stands for the request and whether it is new (a refund of a new
    charge gives back only this request's). Raises `InsufficientCredits` like `credits_charge`.

    The charge's key is `request_key` plus a fresh suffix, so a refunded charge does not block
    the next one; the earlier charge is found in the read under the lock, with no query of its
    own, and under the lock two identical requests at once are charged once."""
    if amount <= 0:
        raise ValueError("a charge takes a positive amount")
    now = timezone.now()
    key = f"{request_key}:{uuid.uuid4()}"
    with transaction.atomic():
        # The new charge's key is fresh: only the allowance's needs looking up.
        ledger = _locked(
            user.pk,
            free_allowance_key(user.pk, now),
            plan=True,
            repeat_of=(f"{request_key}:", now - within),
        )
        if ledger.repeat_of is not None:
            return ledger.repeat_of, False
        _grant_free_allowance_locked(ledger, user, now)
        ledger.append(-amount, reason, key, reference)
        ledger.save()
    return key, True


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
        ledger = _locked(user.pk, idempotency_key)
        entry = ledger.append(amount, reason, idempotency_key, reference, created_by)
        ledger.save()
    return entry


def credits_refund(*, user: User, charge_key: str, reference: str = "") -> CreditLedger | None:
    """Gives back what the charge `charge_key` took, once; None if there was no such charge."""
    key = f"{charge_key}:refund"
    with transaction.atomic():
        ledger = _locked(user.pk, charge_key, key)
        charge = ledger.entries.get(charge_key)
        if charge is None or charge.user_id != user.pk or charge.delta >= 0:
            return None
        entry = ledger.append(
            -charge.delta, CreditReason.AI_REFUND, key, reference or charge.reference
        )
        ledger.save()
    return entry


def credits_take_back(
    *, user: User, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> CreditLedger | None:
    """Takes back up to `amount` credits of an earlier grant, once per `idempotency_key`: only
    what is left (never below zero), since credits already spent cannot be returned. None when
    there is nothing left to take."""
    if amount <= 0:
        raise ValueError("taking back needs a positive amount")
    with transaction.atomic():
        ledger = _locked(user.pk, idempotency_key)
        existing = ledger.existing(idempotency_key)
        if existing is not None:
            return existing
        take = min(amount, ledger.balance)
        if take == 0:
            return None
        entry = ledger.append(-take, reason, idempotency_key, reference)
        ledger.save()
    return entry


def credits_adjust(*, user: User, delta: int, note: str, admin: User) -> CreditLedger:
    """An administrator's correction, with the reason written down; it cannot take the balance
    below zero."""
    if delta == 0:
        raise validation_failed("delta", _("An adjustment must add or remove credits."))
    if not note.strip():
        raise validation_failed("reference", _("Say why the credits are adjusted."))
    key = f"admin:{uuid.uuid4()}"
    with transaction.atomic():
        ledger = _locked(user.pk, key)
        entry = ledger.append(delta, CreditReason.ADMIN_ADJUSTMENT, key, note.strip(), admin)
        ledger.save()
    return entry


def credits_ensure_allowance(*, user: User) -> None:
    """Grants the free plan's allowance of this month if it is due (a no-op otherwise)."""
    now = timezone.now()
    with transaction.atomic():
        ledger = _locked(user.pk, free_allowance_key(user.pk, now), plan=True)
        _grant_free_allowance_locked(ledger, user, now)
        ledger.save()


# --- under the lock -----------------------------------------------------------------------------


@dataclass
class _Ledger:
    """The learner's ledger as read under their lock: the balance, the entries of the keys the
    change involves, and the entries it appends (written together by `save`)."""

    user_id: int
    balance: int
    entries: dict[str, CreditLedger]
    # The learner's plan, when the change may grant the free allowance.
    plan: PlanTerms | None = None
    # The key of an earlier charge of the same request, unrefunded (`credits_charge_once`).
    repeat_of: str | None = None
    new: list[CreditLedger] = field(default_factory=list)

    def existing(self, key: str) -> CreditLedger | None:
        entry = self.entries.get(key)
        if entry is not None and entry.user_id != self.user_id:
            raise ValueError(f"idempotency key {key!r} belongs to another user")
        return entry

    def append(
        self,
        delta: int,
        reason: str,
        key: str,
        reference: str,
        created_by: User | None = None,
    ) -> CreditLedger:
        existing = self.existing(key)
        if existing is not None:
            return existing
        if self.balance + delta < 0:
            raise InsufficientCredits(
                _("Not enough credits: this needs %(needed)d, you have %(balance)d.")
                % {"needed": -delta, "balance": self.balance}
            )
        self.balance += delta
        entry = CreditLedger(
            user_id=self.user_id,
            delta=delta,
            reason=reason,
            reference=reference[:255],
            idempotency_key=key,
            balance_after=self.balance,
            created_by=created_by,
        )
        self.entries[key] = entry
        self.new.append(entry)
        return entry

    def save(self) -> None:
        # One INSERT for every new entry. No savepoint: under the lock no other change of this
        # learner can take a key first, and a key of another learner's was refused above.
        if self.new:
            CreditLedger.objects.bulk_create(self.new)
            self.new = []


def _locked(
    user_id: int,
    *keys: str,
    plan: bool = False,
    repeat_of: tuple[str, datetime.datetime] | None = None,
) -> _Ledger:
    """Locks the learner's balance row (creating it on first use), then reads, after the lock
    and in one query, the balance, which of `keys` the ledger has, with `plan` the terms of the
    learner's plan and with `repeat_of` (a key prefix and a time) the newest charge since then
    whose key has that prefix and that was not refunded. The balance includes every change that
    committed before."""
    # An upsert that updates nothing of substance: it takes the row lock whether it inserts or
    # finds the row (PostgreSQL; SQLite's transaction takes the write lock with it).
    CreditBalance.objects.bulk_create(
        [CreditBalance(user_id=user_id)],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["user"],
    )
    ledger = CreditLedger.objects.filter(user_id=user_id).order_by("-id")
    reads: dict[str, Any] = {
        "balance": Subquery(ledger.values("balance_after")[:1]),
        **{f"key_{index}": _entry_id(key) for index, key in enumerate(keys)},
        **(effective_plan_terms_annotations(user_id=user_id) if plan else {}),
        **({"repeat_of": _unrefunded_charge(user_id, *repeat_of)} if repeat_of else {}),
    }
    state = cast(
        "dict[str, Any]", CreditBalance.objects.filter(user_id=user_id).values(**reads).get()
    )
    found = [state[f"key_{index}"] for index in range(len(keys))]
    # Only a repeat (or a refund, of its charge) finds entries: their rows are read then.
    entries = (
        CreditLedger.objects.in_bulk([pk for pk in found if pk is not None]) if any(found) else {}
    )
    terms = None
    if plan:
        terms = effective_plan_terms(
            code=state["plan_code"], monthly_credits=state["plan_monthly_credits"]
        )
    return _Ledger(
        user_id=user_id,
        balance=state["balance"] or 0,
        entries={entry.idempotency_key: entry for entry in entries.values()},
        plan=terms,
        repeat_of=state.get("repeat_of"),
    )


def _unrefunded_charge(user_id: int, prefix: str, since: datetime.datetime) -> Subquery:
    # A refund's key is its charge's plus ":refund" (`credits_refund`).
    refund = CreditLedger.objects.filter(
        idempotency_key=Concat(OuterRef("idempotency_key"), Value(":refund"))
    )
    charges = CreditLedger.objects.filter(
        user_id=user_id, idempotency_key__startswith=prefix, delta__lt=0, created_at__gte=since
    )
    newest = charges.exclude(Exists(refund)).order_by("-id")
    return Subquery(newest.values("idempotency_key")[:1])


def _entry_id(key: str) -> Subquery:
    return Subquery(CreditLedger.objects.filter(idempotency_key=key).values("pk")[:1])


def _grant_free_allowance_locked(ledger: _Ledger, user: User, now: datetime.datetime) -> None:
    key = free_allowance_key(user.pk, now)
    plan = ledger.plan
    if key in ledger.entries or plan is None:
        return
    if not plan.is_free or plan.monthly_credits == 0:
        return
    reference = f"{plan.code} {month_key(now)}"
    ledger.append(plan.monthly_credits, CreditReason.MONTHLY_ALLOWANCE, key, reference)
