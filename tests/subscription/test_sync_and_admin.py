"""`manage.py billing_sync_plans` against the stand-in, discounts mirrored to Stripe, and the
admin pages (ledger append-only, adjustments through the service)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from subscription.models import CreditLedger, CreditPack, Discount, SubscriptionPlan
from subscription.services.discounts import discount_mirror_to_stripe
from tests.conftest import admin_signed_in
from tests.standins.stripe_api import decode_form


def sync() -> str:
    out = io.StringIO()
    call_command("billing_sync_plans", stdout=out)
    return out.getvalue()


def posts(api, path: str) -> list:
    return [r for r in api.requests if r.method == "POST" and r.path == path]


@pytest.mark.django_db
class TestSyncPlans:
    def test_creates_then_leaves_alone(self, billing, pro_plan, usd_plan):
        first = sync()
        pro_plan.refresh_from_db()
        usd_plan.refresh_from_db()
        assert "pro: product created, price created" in first
        assert pro_plan.stripe_product_id == "studymate_pro"
        price = billing.objects[pro_plan.stripe_price_id]
        assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (
            9900,
            "krw",
            "month",
        )
        assert billing.objects[usd_plan.stripe_price_id]["unit_amount"] == 999

        second = sync()
        assert "pro: up to date" in second
        assert len(posts(billing, "/v1/prices")) == 2
        assert len(posts(billing, "/v1/products")) == 2

    def test_a_changed_price_creates_a_new_one_and_archives_the_old(self, billing, pro_plan):
        sync()
        pro_plan.refresh_from_db()
        old_price = pro_plan.stripe_price_id
        SubscriptionPlan.objects.filter(pk=pro_plan.pk).update(price_amount=12900, name="Pro+")

        assert "product updated, price created, old price archived" in sync()
        pro_plan.refresh_from_db()
        assert pro_plan.stripe_price_id != old_price
        assert billing.objects[old_price]["active"] is False
        assert billing.objects[pro_plan.stripe_price_id]["unit_amount"] == 12900
        assert billing.objects["studymate_pro"]["name"] == "Pro+"

    def test_the_free_plan_is_not_sold(self, billing, api_client):
        api_client.get("/api/subscription/plans/")
        sync()
        assert SubscriptionPlan.objects.get(code="free").stripe_price_id == ""

    def test_without_keys_it_refuses(self, no_billing, pro_plan):
        with pytest.raises(CommandError, match="STRIPE_SECRET_KEY"):
            sync()


@pytest.mark.django_db
class TestDiscountMirror:
    def test_coupon_and_promotion_code_are_created_once(self, billing, synced_pro):
        discount = Discount.objects.create(
            code="SPRING", amount_off=1000, currency="krw", max_redemptions=50,
            first_subscription_only=True,
        )  # fmt: skip
        discount.plans.add(synced_pro)
        assert discount_mirror_to_stripe(discount=discount) is True
        assert discount_mirror_to_stripe(discount=discount) is True

        discount.refresh_from_db()
        coupon = billing.objects[discount.stripe_coupon_id]
        assert (coupon["amount_off"], coupon["currency"]) == (1000, "krw")
        assert coupon["applies_to"] == {"products": ["studymate_pro"]}
        promo = billing.objects[discount.stripe_promotion_code_id]
        assert promo["code"] == "SPRING"
        assert promo["promotion"] == {"type": "coupon", "coupon": discount.stripe_coupon_id}
        assert promo["restrictions"]["first_time_transaction"] is True
        assert len(posts(billing, "/v1/coupons")) == 1

    def test_deactivating_turns_the_promotion_code_off(self, billing):
        discount = Discount.objects.create(code="X1", percent_off=5)
        discount_mirror_to_stripe(discount=discount)
        discount.is_active = False
        discount.save()
        discount_mirror_to_stripe(discount=discount)
        assert billing.objects[discount.stripe_promotion_code_id]["active"] is False

    def test_without_keys_nothing_is_mirrored(self, no_billing):
        discount = Discount.objects.create(code="X2", percent_off=5)
        assert discount_mirror_to_stripe(discount=discount) is False


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        email="admin@example.com", username="admin", password="Admin-Pass-123!"
    )
    admin_signed_in(client, admin)
    client.admin = admin
    return client


@pytest.mark.django_db
class TestAdmin:
    def test_pages_render(self, admin_client, pro_plan):
        names = ["subscriptionplan", "creditpack", "discount", "creditledger", "payment"]
        for name in [*names, "webhookevent"]:
            response = admin_client.get(f"/admin/subscription/{name}/")
            assert response.status_code == 200, name

    def test_an_adjustment_is_appended_through_the_service(self, admin_client, user):
        response = admin_client.post(
            "/admin/subscription/creditledger/add/",
            {"user": user.pk, "delta": 25, "reference": "support ticket 42"},
        )
        assert response.status_code == 302, response.content[:2000]
        entry = CreditLedger.objects.get(reason="admin_adjustment")
        assert (entry.delta, entry.balance_after, entry.reference) == (25, 25, "support ticket 42")
        assert entry.created_by == admin_client.admin

    def test_ledger_rows_cannot_be_changed_or_deleted(self, admin_client, user):
        from subscription.services.credits import credits_grant

        entry = credits_grant(user=user, amount=5, reason="top_up", idempotency_key="t")
        change = admin_client.post(
            f"/admin/subscription/creditledger/{entry.pk}/change/", {"delta": 500}
        )
        assert change.status_code == 403
        delete = admin_client.post(f"/admin/subscription/creditledger/{entry.pk}/delete/")
        assert delete.status_code == 403
        entry.refresh_from_db()
        assert entry.delta == 5

    def test_discount_saved_in_admin_is_mirrored(self, admin_client, billing, synced_pro):
        response = admin_client.post(
            "/admin/subscription/discount/add/",
            {
                "code": "ADMIN10",
                "name": "",
                "percent_off": 10,
                "once_per_user": "on",
                "is_active": "on",
                "plans": [synced_pro.pk],
            },
        )
        assert response.status_code == 302, response.content[:3000]
        discount = Discount.objects.get(code="ADMIN10")
        assert discount.stripe_promotion_code_id in billing.objects
        sent = decode_form(posts(billing, "/v1/coupons")[0].body.decode())
        assert sent["percent_off"] == "10"


@pytest.mark.django_db
class TestCreditPackAdmin:
    def form(self, **changes):
        values = {
            "code": "credits-50",
            "name": "50 credits",
            "description": "",
            "credits": 50,
            "price_amount": 2900,
            "currency": "krw",
            "is_active": "on",
            "sort_order": 0,
        }
        return values | changes

    def test_a_pack_is_added_and_synced_by_the_action(self, admin_client, billing):
        response = admin_client.post("/admin/subscription/creditpack/add/", self.form())
        assert response.status_code == 302, response.content[:2000]
        pack = CreditPack.objects.get(code="credits-50")
        response = admin_client.post(
            "/admin/subscription/creditpack/",
            {"action": "sync_with_stripe", "_selected_action": [pack.pk]},
        )
        assert response.status_code == 302
        pack.refresh_from_db()
        price = billing.objects[pack.stripe_price_id]
        assert (price["type"], price["unit_amount"]) == ("one_time", 2900)

    def test_the_action_names_stripes_failure_not_unreachable(self, admin_client, billing):
        """A stored price Stripe does not have (made with the other key's mode, or deleted):
        the admin is told so, as the sync command tells an operator."""
        pack = CreditPack.objects.create(
            code="credits-50",
            name="50 credits",
            credits=50,
            price_amount=2900,
            currency="krw",
            stripe_price_id="price_gone",
        )
        response = admin_client.post(
            "/admin/subscription/creditpack/",
            {"action": "sync_with_stripe", "_selected_action": [pack.pk]},
            follow=True,
        )
        shown = [str(message) for message in response.context["messages"]]
        assert len(shown) == 1
        # In the admin's language (Korean by default): "Stripe has no such object (HTTP 404...".
        assert shown[0].startswith(
            "credits-50: Stripe에 해당 객체가 없습니다(HTTP 404, resource_missing)"
        )
        assert "No such object: 'price_gone'" in shown[0]

    @pytest.mark.parametrize("field", ["credits", "price_amount"])
    def test_a_pack_must_sell_something_for_something(self, admin_client, field):
        response = admin_client.post("/admin/subscription/creditpack/add/", self.form(**{field: 0}))
        assert response.status_code == 200  # the form again, with the error
        assert not CreditPack.objects.exists()
