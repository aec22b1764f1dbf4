"""`manage.py billing_sync_plans`: create or update the Stripe products and prices of the plans
(recurring prices) and of the credit packs (one-time prices).

Safe to run again and again: unchanged items are left alone. Needs STRIPE_SECRET_KEY.
`--plan CODE` / `--pack CODE` limit the run to those items (only plans, or only packs, when
just one of the two is given).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studymate_api.core.errors import ApplicationError
from subscription.models import FREE_PLAN_CODE, CreditPack, SubscriptionPlan
from subscription.services.plans import pack_sync_to_stripe, plan_sync_to_stripe
from subscription.stripe_api import billing_configured


class Command(BaseCommand):
    help = "Create or update the Stripe products and prices of the plans and credit packs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", action="append", default=[], help="Only this plan code.")
        parser.add_argument("--pack", action="append", default=[], help="Only this pack code.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_configured():
            raise CommandError("STRIPE_SECRET_KEY is not set: billing is not configured.")
        plan_codes, pack_codes = options["plan"], options["pack"]
        everything = not plan_codes and not pack_codes
        if everything or plan_codes:
            plans = SubscriptionPlan.objects.exclude(code=FREE_PLAN_CODE).order_by(
                "sort_order", "id"
            )
            if plan_codes:
                plans = plans.filter(code__in=plan_codes)
            self._sync(plans, lambda plan: plan_sync_to_stripe(plan=plan), label="")
        if everything or pack_codes:
            packs = CreditPack.objects.order_by("sort_order", "id")
            if pack_codes:
                packs = packs.filter(code__in=pack_codes)
            self._sync(packs, lambda pack: pack_sync_to_stripe(pack=pack), label="pack ")

    def _sync(
        self,
        items: Iterable[SubscriptionPlan] | Iterable[CreditPack],
        sync: Callable[[Any], list[str]],
        *,
        label: str,
    ) -> None:
        for item in items:
            try:
                done = sync(item)
            except ApplicationError as error:
                raise CommandError(f"{label}{item.code}: {error.message}") from error
            summary = ", ".join(done) or "up to date"
            self.stdout.write(f"{label}{item.code}: {summary} ({item.stripe_price_id})")
