"""Stars invoices, checkout with approval or refusal, subscriptions and refunds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LabeledPrice, Update

from tgemulator import EmulatorServer, FloodLimits
from tgemulator.client import EmulatorClient, Person
from tgemulator.errors import GatewayError, too_many_requests

from .support import BOT_USERNAME, TOKEN, RawApi

PRO = [LabeledPrice(label="Pro plan", amount=250)]


async def _drain(bot: Bot) -> None:
    updates = await bot.get_updates()
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)


async def _answer_checkout(bot: Bot, *, ok: bool, error: str | None = None) -> Update:
    """Long-poll for the pre-checkout query and answer it; return its update."""
    while True:
        updates = await bot.get_updates(timeout=5)
        await bot.get_updates(offset=updates[-1].update_id + 1)
        for update in updates:
            if update.pre_checkout_query is not None:
                await bot.answer_pre_checkout_query(
                    update.pre_checkout_query.id, ok=ok, error_message=error
                )
                return update


async def _successful_payment(bot: Bot) -> Update:
    updates = await bot.get_updates(timeout=5)
    await bot.get_updates(offset=updates[-1].update_id + 1)
    return next(u for u in updates if u.message and u.message.successful_payment)


async def test_pay_an_invoice_and_refund_it(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/buy")
    invoice = await bot.send_invoice(
        anna.id, "Pro", "One month of Pro", "plan:pro", currency="XTR", prices=PRO
    )
    assert invoice.invoice is not None
    assert invoice.invoice.total_amount == 250
    await _drain(bot)
    paying = asyncio.create_task(anna.pay(invoice.message_id))
    checkout = await _answer_checkout(bot, ok=True)
    assert checkout.pre_checkout_query is not None
    assert checkout.pre_checkout_query.invoice_payload == "plan:pro"
    assert checkout.pre_checkout_query.from_user.id == anna.id
    result = await paying
    assert result.status == "paid"
    payment_update = await _successful_payment(bot)
    assert payment_update.message is not None
    payment = payment_update.message.successful_payment
    assert payment is not None
    assert (payment.currency, payment.total_amount) == ("XTR", 250)
    assert payment.telegram_payment_charge_id == result.telegram_payment_charge_id
    charge_id = payment.telegram_payment_charge_id
    assert await bot.refund_star_payment(anna.id, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(anna.id, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(anna.id, "stxnothing")
    assert (await anna.payments())[0]["refunded"] is True


async def _paid_charge(bot: Bot, client: EmulatorClient) -> tuple[Person, str]:
    """Anna pays a Pro invoice; Anna and the charge's id."""
    anna = await client.create_user("Anna")
    await anna.send("/buy")
    invoice = await bot.send_invoice(
        anna.id, "Pro", "One month of Pro", "plan:pro", currency="XTR", prices=PRO
    )
    await _drain(bot)
    paying = asyncio.create_task(anna.pay(invoice.message_id))
    await _answer_checkout(bot, ok=True)
    result = await paying
    await _successful_payment(bot)
    assert result.telegram_payment_charge_id is not None
    return anna, result.telegram_payment_charge_id


async def test_a_method_made_to_fail_answers_telegrams_errors_then_runs(
    bot: Bot, client: EmulatorClient, server: EmulatorServer
) -> None:
    anna, charge_id = await _paid_charge(bot, client)
    server.fail_next("refundStarPayment", times=2)
    server.fail_next("refundStarPayment", too_many_requests(3))
    server.fail_next("refundStarPayment", GatewayError(502))

    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.refund_star_payment(anna.id, charge_id)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.refund_star_payment(anna.id, charge_id)
    assert flood.value.retry_after == 3
    with pytest.raises(ClientDecodeError, match="502 Bad Gateway"):
        await bot.refund_star_payment(anna.id, charge_id)
    assert (await anna.payments())[0]["refunded"] is False

    assert await bot.refund_star_payment(anna.id, charge_id)
    assert (await anna.payments())[0]["refunded"] is True
    refunds = [call for call in server.calls if call.method == "refundStarPayment"]
    assert [(call.ok, call.error_code) for call in refunds] == [
        (False, 500),
        (False, 500),
        (False, 429),
        (False, 502),
        (True, None),
    ]


async def test_a_declined_checkout_sends_no_payment(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/buy")
    invoice = await bot.send_invoice(anna.id, "Pro", "Pro", "plan:pro", "XTR", PRO)
    await _drain(bot)
    paying = asyncio.create_task(anna.pay(invoice.message_id))
    await _answer_checkout(bot, ok=False, error="Sold out")
    result = await paying
    assert (result.status, result.error_message) == ("declined", "Sold out")
    assert await anna.payments() == []
    assert await bot.get_updates() == []


async def test_an_unanswered_checkout_times_out() -> None:
    impatient = EmulatorServer(
        TOKEN, BOT_USERNAME, flood=FloodLimits(enabled=False), pre_checkout_timeout=0.2
    )
    await impatient.start()
    try:
        async with EmulatorClient(impatient.base_url) as other:
            anna = await other.create_user("Anna")
            link = await other.request(
                "POST",
                f"/bot{TOKEN}/createInvoiceLink",
                json={
                    "title": "Pro",
                    "description": "Pro",
                    "payload": "p",
                    "currency": "XTR",
                    "prices": [{"label": "Pro", "amount": 1}],
                },
            )
            result = await anna.pay_link(link["result"])
            assert result.status == "timeout"
    finally:
        await impatient.stop()


async def test_subscription_link_and_renewal(bot: Bot, client: EmulatorClient) -> None:
    link = await bot.create_invoice_link(
        "Team plan",
        "Monthly",
        "sub:team",
        currency="XTR",
        prices=[LabeledPrice(label="Month", amount=500)],
        subscription_period=2592000,
    )
    assert link.startswith(client.base_url + "/emulator/invoice/")
    anna = await client.create_user("Anna")
    paying = asyncio.create_task(anna.pay_link(link))
    await _answer_checkout(bot, ok=True)
    first = await paying
    assert first.status == "paid"
    payment = (await _successful_payment(bot)).message
    assert payment is not None
    assert payment.successful_payment is not None
    assert payment.successful_payment.is_recurring
    assert payment.successful_payment.is_first_recurring
    expires = payment.successful_payment.subscription_expiration_date
    assert expires is not None
    assert first.telegram_payment_charge_id is not None
    renewed = await anna.renew_subscription(first.telegram_payment_charge_id)
    assert renewed.status == "paid"
    renewal = (await _successful_payment(bot)).message
    assert renewal is not None
    assert renewal.successful_payment is not None
    assert renewal.successful_payment.is_first_recurring is False
    assert renewal.successful_payment.subscription_expiration_date == expires + 2592000


async def test_invalid_invoices_are_refused(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    base: dict[str, Any] = {"chat_id": anna.id, "title": "T", "description": "D", "payload": "p"}
    two_prices = [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]
    one_price = [{"label": "a", "amount": 1}]
    reply = await api("sendInvoice", **base, currency="XTR", prices=two_prices)
    assert reply.description == "Bad Request: STARS_INVOICE_INVALID"
    reply = await api("sendInvoice", **base, currency="XTR", prices=one_price, provider_token="tok")
    assert reply.description == "Bad Request: STARS_INVOICE_INVALID"
    reply = await api("sendInvoice", **base, currency="RUB", prices=one_price)
    assert reply.description == "Bad Request: PAYMENT_PROVIDER_INVALID"
    reply = await api(
        "createInvoiceLink",
        **base,
        currency="RUB",
        provider_token="tok",
        prices=one_price,
        subscription_period=2592000,
    )
    assert reply.description == "Bad Request: SUBSCRIPTION_PERIOD_INVALID"
    reply = await api("answerPreCheckoutQuery", pre_checkout_query_id="1", ok=True)
    assert reply.description == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
