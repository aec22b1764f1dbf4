"""Admin for plans and credit packs (synced to Stripe by an action), discounts (mirrored to
Stripe on save), the credit ledger (read-only, with adjustments added through the service),
payments and webhook events."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import ApplicationError

from .models import CreditLedger, CreditPack, Discount, Payment, SubscriptionPlan, WebhookEvent
from .services.credits import credits_adjust
from .services.discounts import discount_mirror_to_stripe
from .services.plans import pack_sync_to_stripe, plan_sync_to_stripe
from .stripe_api import stripe_failure

if TYPE_CHECKING:
    from accounts.models import User


def _report_sync(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    code: str,
    sync: Callable[[], list[str]],
) -> None:
    """Runs one Stripe sync and tells the admin what changed, or why it could not: Stripe's
    failure named as itself (a missing object, a refused key, a connection), as the
    `billing_sync_plans` command names it, rather than "could not be reached" for all."""
    try:
        done = sync()
    except ApplicationError as error:
        cause = stripe_failure(error) or str(error.message)
        model_admin.message_user(request, f"{code}: {cause}", messages.ERROR)
        return
    model_admin.message_user(request, f"{code}: {', '.join(done) or 'up to date'}")


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(admin.ModelAdmin[SubscriptionPlan]):
    list_display = (
        "code",
        "name",
        "price_amount",
        "currency",
        "interval",
        "monthly_credits",
        "is_active",
        "stripe_price_id",
    )
    list_filter = ("is_active", "currency", "interval")
    readonly_fields = ("stripe_product_id", "stripe_price_id", "created_at", "updated_at")
    actions = ("sync_with_stripe",)

    @admin.action(description=_("Create or update the Stripe product and price"))
    def sync_with_stripe(self, request: HttpRequest, queryset: QuerySet[SubscriptionPlan]) -> None:
        for plan in queryset:
            _report_sync(self, request, plan.code, partial(plan_sync_to_stripe, plan=plan))


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin[CreditPack]):
    list_display = (
        "code",
        "name",
        "credits",
        "price_amount",
        "currency",
        "is_active",
        "stripe_price_id",
    )
    list_filter = ("is_active", "currency")
    search_fields = ("code", "name")
    readonly_fields = ("stripe_product_id", "stripe_price_id", "created_at", "updated_at")
    actions = ("sync_with_stripe",)

    @admin.action(description=_("Create or update the Stripe product and one-time price"))
    def sync_with_stripe(self, request: HttpRequest, queryset: QuerySet[CreditPack]) -> None:
        for pack in queryset:
            _report_sync(self, request, pack.code, partial(pack_sync_to_stripe, pack=pack))


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin[Discount]):
    list_display = (
        "code",
        "percent_off",
        "amount_off",
        "currency",
        "valid_until",
        "max_redemptions",
        "is_active",
        "stripe_promotion_code_id",
    )
    list_filter = ("is_active", "first_subscription_only")
    search_fields = ("code", "name")
    filter_horizontal = ("plans",)
    readonly_fields = ("stripe_coupon_id", "stripe_promotion_code_id", "created_at")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the plans are saved: the Stripe coupon is limited to their products.
        super().save_related(request, form, formsets, change)
        try:
            mirrored = discount_mirror_to_stripe(discount=form.instance)
        except ApplicationError as error:
            self.message_user(
                request, _("Not mirrored to Stripe: %s") % error.message, messages.WARNING
            )
            return
        if not mirrored:
            self.message_user(
                request, _("Billing is not configured: not mirrored to Stripe."), messages.WARNING
            )


class CreditAdjustmentForm(forms.ModelForm[CreditLedger]):
    """An adjustment: who, how many credits (negative removes), and why."""

    class Meta:
        model = CreditLedger
        fields = ("user", "delta", "reference")
        labels = {"reference": _("Reason")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The column may be empty only on an erased learner's kept rows, never on a new one.
        self.fields["user"].required = True


@admin.register(CreditLedger)
class CreditLedgerAdmin(admin.ModelAdmin[CreditLedger]):
    """The ledger is append-only: rows are never changed or deleted; "add" records an
    adjustment through `credits_adjust` (with its reason and the admin who made it)."""

    list_display = ("created_at", "user", "delta", "balance_after", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("user__email", "reference", "idempotency_key")
    list_select_related = ("user",)
    form = CreditAdjustmentForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CreditLedger, form: Any, change: bool) -> None:
        admin_user = cast("User", request.user)  # the admin site lets only staff users in
        learner = cast("User", obj.user)  # the form requires one
        entry = credits_adjust(user=learner, delta=obj.delta, note=obj.reference, admin=admin_user)
        obj.pk = entry.pk
        obj.balance_after = entry.balance_after

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("user", "delta", "reference")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = (
        "paid_at",
        "user",
        "kind",
        "plan",
        "credit_pack",
        "amount_paid",
        "currency",
        "status",
    )
    list_filter = ("kind", "status", "currency")
    search_fields = (
        "user__email",
        "stripe_invoice_id",
        "stripe_checkout_session_id",
        "invoice_number",
    )
    list_select_related = ("user", "plan", "credit_pack")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin[WebhookEvent]):
    list_display = ("received_at", "event_type", "stripe_event_id", "outcome", "processed_at")
    list_filter = ("event_type",)
    search_fields = ("stripe_event_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
