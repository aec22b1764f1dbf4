"""`manage.py billing_sync_plans` as an operator meets it: Stripe's failures named as
themselves (a missing object, a refused key, a connection that failed, a server error) with a
non-zero exit, verbosity, language and progress. The real `stripe` SDK talks to the stand-in
over loopback (tests/standins/stripe_api)."""

from __future__ import annotations

import io
import socket
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from subscription.models import CreditPack, SubscriptionPlan
from tests.standins.stripe_api import StripeStandin


class Run:
    def __init__(self, out: str, err: str) -> None:
        self.out, self.err = out, err


def sync(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    call_command("billing_sync_plans", *args, stdout=out, stderr=err)
    return Run(out.getvalue(), err.getvalue())


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        sync(*args)
    return str(failure.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def pack(db: Any) -> CreditPack:
    return CreditPack.objects.create(
        code="credits-100", name="100 credits", credits=100, price_amount=5000, currency="krw"
    )


@pytest.mark.django_db
class TestStripeFailuresNamed:
    def test_a_stored_price_stripe_does_not_have_is_a_404_not_unreachable(
        self, billing: StripeStandin, pro_plan: SubscriptionPlan
    ) -> None:
        SubscriptionPlan.objects.filter(pk=pro_plan.pk).update(stripe_price_id="price_gone")
        message = refused()
        assert message.startswith("pro: Stripe has no such object (HTTP 404, resource_missing)")
        assert "No such object: 'price_gone'" in message
        assert "another Stripe account or mode (test or live key)" in message
        assert "(0 of 1 item(s) synced before it)" in message
        assert "could not be reached" not in message

    def test_a_refused_key_is_an_authentication_error(
        self, billing: StripeStandin, settings: Any, pro_plan: SubscriptionPlan
    ) -> None:
        settings.STRIPE_SECRET_KEY = "sk_test_not_the_key"
        message = refused()
        assert message == (
            "pro: Stripe refused the API key (HTTP 401): Invalid API Key provided. Check "
            "STRIPE_SECRET_KEY. (0 of 1 item(s) synced before it)"
        )
        pro_plan.refresh_from_db()
        assert (pro_plan.stripe_product_id, pro_plan.stripe_price_id) == ("", "")

    def test_nothing_listening_is_a_connection_error(
        self, billing: StripeStandin, settings: Any, pro_plan: SubscriptionPlan
    ) -> None:
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
        message = refused()
        assert message.startswith(
            f"pro: Could not connect to Stripe at {settings.STRIPE_API_BASE}: [Errno "
        )
        assert "Connection refused" in message

    def test_a_server_error_is_named_with_its_status(
        self, billing: StripeStandin, pro_plan: SubscriptionPlan
    ) -> None:
        billing.enqueue(billing.error(500, "Something went wrong on Stripe's end"))
        message = refused()
        assert message.startswith("pro: Stripe failed with a server error (HTTP 500)")
        assert "Something went wrong on Stripe's end" in message

    def test_the_items_before_a_failure_stay_synced_and_a_rerun_carries_on(
        self, billing: StripeStandin, pro_plan: SubscriptionPlan, usd_plan: SubscriptionPlan
    ) -> None:
        SubscriptionPlan.objects.filter(pk=usd_plan.pk).update(
            stripe_price_id="price_gone", sort_order=5
        )
        message = refused()
        assert message.startswith("pro-usd: Stripe has no such object (HTTP 404")
        assert "(1 of 2 item(s) synced before it)" in message
        pro_plan.refresh_from_db()
        assert pro_plan.stripe_price_id in billing.objects

        SubscriptionPlan.objects.filter(pk=usd_plan.pk).update(stripe_price_id="")
        out = sync().out
        assert "pro: up to date" in out
        assert "pro-usd: price created" in out

    def test_a_mistyped_code_is_an_error_not_an_empty_run(
        self, billing: StripeStandin, pro_plan: SubscriptionPlan, pack: CreditPack
    ) -> None:
        assert refused("--plan", "prro") == "no plan with code prro (nothing was synced)"
        assert refused("--pack", "credits-1000", "--pack", "credits-100") == (
            "no credit pack with code credits-1000 (nothing was synced)"
        )
        assert not [r for r in billing.requests if r.method == "POST"]


@pytest.mark.django_db
class TestOutput:
    def test_the_normal_output(self, billing: StripeStandin, pro_plan: Any, pack: Any) -> None:
        run = sync()
        lines = run.out.splitlines()
        pro_plan.refresh_from_db()
        assert lines[0] == f"pro: product created, price created ({pro_plan.stripe_price_id})"
        assert lines[1].startswith("pack credits-100: product created, price created (price_")
        assert lines[2] == "2 item(s) checked, 2 changed in Stripe."
        assert run.err == ""  # no bar: stdout is not a terminal

    def test_verbosity_zero_prints_nothing_and_still_syncs(
        self, billing: StripeStandin, pro_plan: SubscriptionPlan
    ) -> None:
        run = sync("-v", "0", "--progress")
        assert (run.out, run.err) == ("", "")
        pro_plan.refresh_from_db()
        assert pro_plan.stripe_price_id in billing.objects

    def test_verbosity_two_adds_the_terms(
        self, billing: StripeStandin, pro_plan: Any, pack: Any
    ) -> None:
        out = sync("-v", "2").out
        assert "    product studymate_pro, 9900 KRW per month" in out
        assert "    product studymate-pack-credits-100, 5000 KRW once" in out

    def test_korean_by_locale_or_language(
        self, billing: StripeStandin, pro_plan: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        out = sync("--locale", "ko").out
        assert out.splitlines()[0].startswith("pro: 상품 생성, 가격 생성 (price_")
        assert "항목 1개 확인, Stripe에서 1개 변경." in out
        monkeypatch.setenv("LANGUAGE", "ko")
        assert sync().out.startswith("pro: 최신 상태 (price_")
        SubscriptionPlan.objects.filter(pk=pro_plan.pk).update(stripe_price_id="price_gone")
        korean_404 = "pro: Stripe에 해당 객체가 없습니다(HTTP 404, resource_missing)"
        assert refused().startswith(korean_404)

    def test_a_progress_bar_per_item(
        self, billing: StripeStandin, pro_plan: Any, pack: Any
    ) -> None:
        run = sync("--progress")
        assert "Stripe sync: 100%" in run.err
        assert "2/2" in run.err
        assert "\r" not in run.out

    def test_without_keys_it_refuses_in_english(self, no_billing: Any) -> None:
        assert refused() == "STRIPE_SECRET_KEY is not set: billing is not configured."
