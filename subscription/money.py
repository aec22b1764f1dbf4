"""Amounts in minor units, the way Stripe counts them.

Stripe takes amounts as integers in the currency's smallest unit: cents for USD (999 is
$9.99), but whole won for KRW, a zero-decimal currency (9900 is ₩9,900). Everything here and
in the models stores that integer; this module alone knows how many decimals a currency has.
"""

from __future__ import annotations

from decimal import Decimal

# Stripe's zero-decimal currencies.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
        "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
SUPPORTED_CURRENCIES = ("krw", "usd")
_SYMBOLS = {"krw": "₩", "usd": "$", "jpy": "¥", "eur": "€"}


def decimals(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """9900 KRW -> Decimal('9900'); 999 USD -> Decimal('9.99')."""
    return Decimal(amount_minor).scaleb(-decimals(currency))


def format_money(amount_minor: int, currency: str) -> str:
    """The amount as a learner reads it: '₩9,900', '$9.99', '-$1.50'; unknown currencies get
    their code ('12.00 EUR' style when no symbol is known)."""
    places = decimals(currency)
    value = f"{to_decimal(abs(amount_minor), currency):,.{places}f}"
    sign = "-" if amount_minor < 0 else ""
    symbol = _SYMBOLS.get(currency.lower())
    if symbol is None:
        return f"{sign}{value} {currency.upper()}"
    return f"{sign}{symbol}{value}"


def money_payload(amount_minor: int, currency: str) -> dict[str, object]:
    """The JSON form of an amount: the minor-unit integer, the currency, and display text."""
    return {
        "amount": amount_minor,
        "currency": currency.lower(),
        "formatted": format_money(amount_minor, currency),
    }
