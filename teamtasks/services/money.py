"""Amounts of money as people read them; amounts are integer minor units with a currency code."""

from __future__ import annotations

from teamtasks.models.enums import Language

STARS = "XTR"
"""Telegram Stars: whole stars, no minor unit."""
MINOR_PER_MAJOR = 100
_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", STARS: "⭐"}


def format_amount(amount_minor: int, currency: str, language: Language) -> str:
    """99000 RUB -> "990 ₽"; 99050 RUB -> "990,50 ₽" ("990.50 ₽" in English); 650 XTR: "650 ⭐"."""
    symbol = _SYMBOLS.get(currency, currency)
    if currency == STARS:
        return f"{amount_minor} {symbol}"
    major, minor = divmod(amount_minor, MINOR_PER_MAJOR)
    separator, decimal = ("\u00a0", ",") if language is Language.RU else (",", ".")
    whole = f"{major:,}".replace(",", separator)
    return f"{whole} {symbol}" if minor == 0 else f"{whole}{decimal}{minor:02d} {symbol}"
