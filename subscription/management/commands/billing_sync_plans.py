"""`manage.py billing_sync_plans`: create or update the Stripe products and prices of the plans
(recurring prices) and of the credit packs (one-time prices).

Safe to run again and again: unchanged items are left alone. Needs STRIPE_SECRET_KEY.
`--plan CODE` / `--pack CODE` limit the run to those items (only plans, or only packs, when
just one of the two is given). One line per item (`-v 2`: with its product and price terms),
a progress bar on a terminal or with `--progress`. A failure stops the run with what Stripe
said (a missing object, a refused key, a connection that failed) and exits 1; the items before
it stay synced, and running again carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from studymate_api.core.commands import OperatorCommand
from studymate_api.core.errors import ApplicationError
from subscription.models import FREE_PLAN_CODE, CreditPack, SubscriptionPlan
from subscription.services.plans import pack_sync_to_stripe, plan_sync_to_stripe
from subscription.stripe_api import billing_configured, stripe_failure

Sellable = SubscriptionPlan | CreditPack


def _done_words() -> dict[str, str]:
    """The service reports what it did in fixed English words; these are the operator's."""
    return {
        "product created": _("product created"),
        "product updated": _("product updated"),
        "price created": _("price created"),
        "old price archived": _("old price archived"),
    }


class Command(OperatorCommand):
    help = "Create or update the Stripe products and prices of the plans and credit packs."
    progress_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", action="append", default=[], help="Only this plan code.")
        parser.add_argument("--pack", action="append", default=[], help="Only this pack code.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_configured():
            raise CommandError(_("STRIPE_SECRET_KEY is not set: billing is not configured."))
        plan_codes, pack_codes = options["plan"], options["pack"]
        everything = not plan_codes and not pack_codes
        work: list[tuple[Sellable, Callable[[Any], list[str]]]] = []
        if everything or plan_codes:
            plans = SubscriptionPlan.objects.exclude(code=FREE_PLAN_CODE).order_by(
                "sort_order", "id"
            )
            if plan_codes:
                unknown = self._unknown(plan_codes, SubscriptionPlan.objects.all())
                if unknown:
                    raise CommandError(
                        _("no plan with code %(codes)s (nothing was synced)") % {"codes": unknown}
                    )
                plans = plans.filter(code__in=plan_codes)
            work += [(plan, lambda plan: plan_sync_to_stripe(plan=plan)) for plan in plans]
        if everything or pack_codes:
            packs = CreditPack.objects.order_by("sort_order", "id")
            if pack_codes:
                unknown = self._unknown(pack_codes, CreditPack.objects.all())
                if unknown:
                    raise CommandError(
                        _("no credit pack with code %(codes)s (nothing was synced)")
                        % {"codes": unknown}
                    )
                packs = packs.filter(code__in=pack_codes)
            work += [(pack, lambda pack: pack_sync_to_stripe(pack=pack)) for pack in packs]
        changed = self._sync(work)
        self.say(
            _("%(total)d item(s) checked, %(changed)d changed in Stripe.")
            % {"total": len(work), "changed": changed},
            style=self.style.SUCCESS,
        )

    @staticmethod
    def _unknown(codes: list[str], items: Any) -> str:
        """The codes no item has, joined: a mistyped code is an error, not a run that quietly
        syncs nothing."""
        known = set(items.filter(code__in=codes).values_list("code", flat=True))
        return ", ".join(sorted(set(codes) - known))

    def _sync(self, work: list[tuple[Sellable, Callable[[Any], list[str]]]]) -> int:
        words = _done_words()
        changed = 0
        with self.progress(total=len(work), description=_("Stripe sync"), unit=_("item")) as bar:
            for position, (item, sync) in enumerate(work):
                label = self._label(item)
                try:
                    done = sync(item)
                except ApplicationError as error:
                    cause = stripe_failure(error) or str(error.message)
                    raise CommandError(
                        _("%(item)s: %(cause)s (%(synced)d of %(total)d item(s) synced before it)")
                        % {"item": label, "cause": cause, "synced": position, "total": len(work)}
                    ) from error
                changed += bool(done)
                summary = ", ".join(words.get(word, word) for word in done) or _("up to date")
                self.say(f"{label}: {summary} ({item.stripe_price_id})")
                self.detail(
                    "    "
                    + _("product %(product)s, %(amount)s %(currency)s %(terms)s")
                    % {
                        "product": item.stripe_product_id,
                        "amount": item.price_amount,
                        "currency": item.currency.upper(),
                        "terms": self._terms(item),
                    }
                )
                bar.update(1)
        return changed

    @staticmethod
    def _label(item: Sellable) -> str:
        # Plans by their code alone, packs marked as such.
        if isinstance(item, SubscriptionPlan):
            return item.code
        return _("pack %(code)s") % {"code": item.code}

    @staticmethod
    def _terms(item: Sellable) -> str:
        if isinstance(item, SubscriptionPlan):
            return _("per year") if item.interval == "year" else _("per month")
        return _("once")
