"""Invoices and payments: validation of invoice parameters and the buyer's side of paying.

Paying follows Telegram: a ``pre_checkout_query`` goes to the bot, which must answer
within 10 seconds; only an approved query produces a ``successful_payment`` message.
"""

from __future__ import annotations

import secrets
from typing import Any

from .core import Emulator
from .errors import bad_request, required
from .models import ChargeRecord, ChatRecord, InvoiceRecord, UserRecord
from .params import Params
from .serialize import user_json
from .store import now

STARS = "XTR"
SUBSCRIPTION_PERIOD = 30 * 24 * 3600


def _required_text(params: Params, name: str) -> str:
    value = params.text(name)
    if not value:
        raise required(name)
    return value


def invoice_from_params(params: Params, *, allow_subscription: bool) -> InvoiceRecord:
    title = _required_text(params, "title")
    description = _required_text(params, "description")
    payload = _required_text(params, "payload")
    currency = _required_text(params, "currency").upper()
    prices = params.json_value("prices", "can't parse prices JSON object")
    if prices is None:
        raise required("prices")
    if not isinstance(prices, list) or not all(
        isinstance(p, dict) and isinstance(p.get("amount"), int) and p.get("label") for p in prices
    ):
        raise bad_request("can't parse prices JSON object")
    if not prices:
        raise bad_request("prices are not specified")
    provider_token = params.text("provider_token") or ""
    if currency == STARS:
        if provider_token or len(prices) != 1 or params.integer("max_tip_amount"):
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    period = params.integer("subscription_period") if allow_subscription else None
    if period is not None and (currency != STARS or period != SUBSCRIPTION_PERIOD):
        raise bad_request("SUBSCRIPTION_PERIOD_INVALID")
    return InvoiceRecord(
        title=title,
        description=description,
        payload=payload,
        currency=currency,
        prices=prices,
        provider_token=provider_token,
        subscription_period=period,
        start_parameter=params.text("start_parameter") or "",
    )


def invoice_json(invoice: InvoiceRecord) -> dict[str, Any]:
    return {
        "title": invoice.title,
        "description": invoice.description,
        "start_parameter": invoice.start_parameter,
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
    }


def invoice_key(chat_id: int, message_id: int) -> str:
    return f"{chat_id}:{message_id}"


def _charge_id(currency: str) -> str:
    return ("stx" if currency == STARS else "tch") + secrets.token_urlsafe(18)


def record_payment(
    emulator: Emulator,
    chat: ChatRecord,
    user: UserRecord,
    invoice: InvoiceRecord,
    *,
    renewal_of: ChargeRecord | None = None,
) -> ChargeRecord:
    """Store the charge and send the ``successful_payment`` message in ``chat``."""
    period = invoice.subscription_period
    expiration = None
    if period is not None:
        start = max(now(), renewal_of.expiration_date or 0) if renewal_of else now()
        expiration = start + period
    charge = ChargeRecord(
        charge_id=_charge_id(invoice.currency),
        user_id=user.id,
        currency=invoice.currency,
        total_amount=invoice.total_amount,
        payload=invoice.payload,
        provider_charge_id="" if invoice.currency == STARS else secrets.token_hex(12),
        invoice_ref=invoice.slug or invoice_key(invoice.chat_id or 0, invoice.message_id or 0),
        subscription_period=period,
        expiration_date=expiration,
    )
    emulator.store.charges[charge.charge_id] = charge
    payment: dict[str, Any] = {
        "currency": charge.currency,
        "total_amount": charge.total_amount,
        "invoice_payload": charge.payload,
        "telegram_payment_charge_id": charge.charge_id,
        "provider_payment_charge_id": charge.provider_charge_id,
    }
    if period is not None:
        payment["subscription_expiration_date"] = expiration
        payment["is_recurring"] = True
        payment["is_first_recurring"] = renewal_of is None
    emulator.user_message(chat, user, {"successful_payment": payment}, service=True)
    return charge


async def pay_invoice(
    emulator: Emulator, chat: ChatRecord, user: UserRecord, invoice: InvoiceRecord
) -> dict[str, Any]:
    """Run the checkout and say how it ended: paid, declined or timeout."""
    _, answer = await emulator.await_answer(
        emulator.pre_checkouts,
        "pre_checkout_query",
        {
            "from": user_json(user),
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        },
        emulator.config.pre_checkout_timeout,
    )
    if answer is None:
        return {"status": "timeout"}
    if not answer["ok"]:
        return {"status": "declined", "error_message": answer.get("error_message")}
    charge = record_payment(emulator, chat, user, invoice)
    return {"status": "paid", "telegram_payment_charge_id": charge.charge_id}
