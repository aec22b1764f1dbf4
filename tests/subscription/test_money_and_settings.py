"""Amounts in KRW (zero-decimal) and USD (cents), and the billing settings refusing bad values."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

import studymate_api.settings.billing as billing_settings_module
from subscription.money import format_money, money_payload, to_decimal


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (9900, "krw", "₩9,900"),
        (1_250_000, "KRW", "₩1,250,000"),
        (0, "krw", "₩0"),
        (999, "usd", "$9.99"),
        (123456, "usd", "$1,234.56"),
        (5, "usd", "$0.05"),
        (-150, "usd", "-$1.50"),
        (-990, "krw", "-₩990"),
        (1200, "chf", "12.00 CHF"),
    ],
)
def test_amounts_are_formatted_in_their_currency(amount, currency, text):
    assert format_money(amount, currency) == text


def test_zero_decimal_currencies_are_not_divided():
    assert to_decimal(9900, "krw") == Decimal(9900)
    assert to_decimal(9900, "usd") == Decimal("99.00")
    assert money_payload(999, "USD") == {"amount": 999, "currency": "usd", "formatted": "$9.99"}


@pytest.fixture
def load(monkeypatch) -> Iterator:
    def _load(**env: str) -> ModuleType:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(billing_settings_module)

    yield _load
    monkeypatch.undo()
    importlib.reload(billing_settings_module)


def test_keys_and_costs_are_read(load):
    module = load(
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_WEBHOOK_SECRET="whsec_abc",
        STRIPE_API_BASE="http://127.0.0.1:12111/",
        BILLING_CREDITS_QUIZ_GENERATION="5",
    )
    assert module.STRIPE_SECRET_KEY == "sk_test_123"
    assert module.STRIPE_API_BASE == "http://127.0.0.1:12111"
    assert module.BILLING_AI_CREDIT_COSTS["quiz_generation"] == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STRIPE_SECRET_KEY", "pk_test_publishable"),
        ("STRIPE_WEBHOOK_SECRET", "not-a-secret"),
        ("STRIPE_API_BASE", "ftp://example.com"),
        ("BILLING_SUCCESS_URL", "/relative"),
        ("BILLING_CREDITS_SUMMARY", "-1"),
        ("BILLING_CREDITS_ENABLED", "maybe"),
        ("BILLING_FREE_PLAN_CURRENCY", "wons"),
    ],
)
def test_bad_values_stop_the_start_naming_the_variable(load, variable, value):
    with pytest.raises(ImproperlyConfigured, match=variable):
        load(**{variable: value})
