"""Telegram Stars end to end through the local Bot API: /buy sends a Stars invoice, Anna pays it
in Telegram, the bot approves the checkout, the payment settles and Anna is told; checkouts that
must not be paid are refused; a repeated payment changes nothing; a charge that bought nothing
goes back, by the worker when Telegram does not take the refund at once; an owner refunds."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiogram.types import LabeledPrice
from sqlalchemy import func, select, update
from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

from teamtasks.i18n import gettext
from teamtasks.models import AuditLog, Invoice, OwedRefund, Payment, WebhookEvent
from teamtasks.models.base import utcnow
from teamtasks.models.enums import InvoiceStatus, Language, PaymentStatus, SubscriptionStatus
from teamtasks.worker.broker import REFUND_STARS
from tests.e2e.billing.conftest import Owner, Shop, end_period, local_date, subscription_of
from tests.e2e.conftest import WEBHOOK_SECRET
from tgemulator import EmulatorServer
from tgemulator.client import ChatMessage, PaymentResult
from tgemulator.errors import ApiError, GatewayError, bad_request, server_error

TEAM_BY_STARS = "Team · Telegram Stars · 650 ⭐"


@pytest.fixture
def payment_settings() -> dict[str, Any]:
    return {"payment_providers": "sandbox,stars"}


def en(key: str, **params: Any) -> str:
    """A text of the locales as the person sees it: markup gone, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", gettext(Language.EN, key, **params)))


async def stars_invoice(acme: Owner) -> ChatMessage:
    """Anna opens /buy and chooses Team for Stars: the bot sends a Stars invoice."""
    anna = acme.person
    await anna.send("/buy")
    plans = await anna.wait_reply(timeout=10)
    assert TEAM_BY_STARS in plans.buttons
    await anna.press(TEAM_BY_STARS)
    invoice = await anna.wait_reply(timeout=10)
    assert invoice.invoice is not None, invoice
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 650)
    assert invoice.invoice["title"] == "Team plan"
    return invoice


async def billing_rows(shop: Shop) -> dict[str, Any]:
    async with shop.factory() as session:
        payment = await session.scalar(select(Payment))
        invoice = await session.scalar(select(Invoice))
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        audit = await session.scalars(select(AuditLog.action).order_by(AuditLog.id))
        return {
            "payment": payment.status if payment else None,
            "invoice": invoice.status if invoice else None,
            "events": events,
            "audit": list(audit),
        }


async def test_owner_pays_with_stars_and_is_told(shop: Shop, acme: Owner) -> None:
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    invoice = await stars_invoice(acme)

    result = await acme.person.pay(invoice.message_id)

    assert result.status == "paid"
    told = await acme.person.wait_reply(timeout=10)
    subscription = await subscription_of(shop.factory, acme.company_id)
    until = await local_date(shop.factory, acme.company_id, subscription.current_period_end)
    assert told.text == en(
        "billing.notify.paid", company="Acme", plan="Team", amount="650 ⭐", until=until
    )
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end == trial_end + timedelta(days=30)
    rows = await billing_rows(shop)
    assert (rows["payment"], rows["invoice"], rows["events"]) == (
        PaymentStatus.SUCCEEDED,
        InvoiceStatus.PAID,
        1,
    )
    async with shop.factory() as session:
        event = await session.scalar(select(WebhookEvent))
    assert event is not None
    assert event.event_key == result.telegram_payment_charge_id


async def test_a_payment_made_while_renaming_the_company_settles(shop: Shop, acme: Owner) -> None:
    anna = acme.person
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    invoice = await stars_invoice(acme)
    await anna.send("/company")
    await anna.wait_reply(timeout=10)
    await anna.press("✏️ Rename the company")
    asked = await anna.wait_reply(timeout=10)
    assert (asked.text or "").startswith("Send the new name of Acme")

    assert (await anna.pay(invoice.message_id)).status == "paid"

    told = await anna.wait_reply(timeout=10)
    subscription = await subscription_of(shop.factory, acme.company_id)
    until = await local_date(shop.factory, acme.company_id, subscription.current_period_end)
    assert told.text == en(
        "billing.notify.paid", company="Acme", plan="Team", amount="650 ⭐", until=until
    )
    assert subscription.current_period_end == trial_end + timedelta(days=30)
    rows = await billing_rows(shop)
    assert (rows["payment"], rows["invoice"]) == (PaymentStatus.SUCCEEDED, InvoiceStatus.PAID)
    # The question is still open: the next text names the company.
    await anna.send("Acme Ltd")
    assert (await anna.wait_reply(timeout=10)).text == en("team.co.renamed", company="Acme Ltd")


async def test_a_paid_invoice_cannot_be_paid_again(shop: Shop, acme: Owner) -> None:
    invoice = await stars_invoice(acme)
    assert (await acme.person.pay(invoice.message_id)).status == "paid"
    await acme.person.wait_reply(timeout=10)  # the owner is told
    paid = await subscription_of(shop.factory, acme.company_id)

    again = await acme.person.pay(invoice.message_id)

    assert (again.status, again.error_message) == ("declined", en("errors.stars.invoice_closed"))
    assert len(await acme.person.payments()) == 1
    after = await subscription_of(shop.factory, acme.company_id)
    assert after.current_period_end == paid.current_period_end


async def test_a_checkout_for_another_amount_is_refused(shop: Shop, acme: Owner) -> None:
    invoice = await stars_invoice(acme)
    async with shop.factory() as session:
        payload = await session.scalar(select(Payment.provider_payment_id))
    assert payload is not None
    cheaper = await shop.running.bot.send_invoice(
        chat_id=acme.person.id,
        title="Team plan",
        description="A stale invoice at an old price",
        payload=payload,
        provider_token="",
        currency="XTR",
        prices=[LabeledPrice(label="Team", amount=1)],
    )
    before = await billing_rows(shop)

    refused = await acme.person.pay(cheaper.message_id)

    assert (refused.status, refused.error_message) == (
        "declined",
        en("errors.stars.amount_changed"),
    )
    assert await acme.person.payments() == []
    assert await billing_rows(shop) == before
    assert (await acme.person.pay(invoice.message_id)).status == "paid"


async def test_a_repeated_successful_payment_changes_nothing(shop: Shop, acme: Owner) -> None:
    invoice = await stars_invoice(acme)
    result = await acme.person.pay(invoice.message_id)
    await acme.person.wait_reply(timeout=10)  # the owner is told
    paid = await subscription_of(shop.factory, acme.company_id)
    rows = await billing_rows(shop)
    payment_message = next(
        m for m in await acme.person.messages() if m.service and "successful_payment" in m.raw
    )
    update = {
        "update_id": 900_000_001,
        "message": {
            "message_id": payment_message.message_id,
            "date": 1_795_000_000,
            "chat": {"id": acme.person.id, "type": "private", "first_name": "Anna"},
            "from": {"id": acme.person.id, "is_bot": False, "first_name": "Anna"},
            "successful_payment": {
                "currency": "XTR",
                "total_amount": 650,
                "invoice_payload": (await _payload(shop)),
                "telegram_payment_charge_id": result.telegram_payment_charge_id,
                "provider_payment_charge_id": "",
            },
        },
    }

    async with httpx.AsyncClient(base_url=shop.web_url) as http:
        answer = await http.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )

    assert answer.status_code == 200
    assert await billing_rows(shop) == rows
    after = await subscription_of(shop.factory, acme.company_id)
    assert after.current_period_end == paid.current_period_end


async def test_a_second_charge_of_one_checkout_is_refunded_at_once(shop: Shop, acme: Owner) -> None:
    anna = acme.person
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    first = await stars_invoice(acme)
    second = await stars_invoice(acme)  # the same open checkout, offered again
    assert second.invoice == first.invoice

    # Both checkouts are approved while the payment is pending; both charges go through.
    results = await asyncio.gather(anna.pay(first.message_id), anna.pay(second.message_id))

    assert [r.status for r in results] == ["paid", "paid"]
    replies = [await anna.wait_reply(timeout=10), await anna.wait_reply(timeout=10)]
    subscription = await subscription_of(shop.factory, acme.company_id)
    until = await local_date(shop.factory, acme.company_id, subscription.current_period_end)
    assert sorted(r.text or "" for r in replies) == sorted(
        [
            en("billing.notify.paid", company="Acme", plan="Team", amount="650 ⭐", until=until),
            en("stars.paid.paid_twice", amount="650 ⭐"),
        ]
    )
    assert subscription.current_period_end == trial_end + timedelta(days=30)
    assert sorted(p["refunded"] for p in await anna.payments()) == [False, True]
    rows = await billing_rows(shop)
    assert (rows["payment"], rows["invoice"], rows["events"]) == (
        PaymentStatus.SUCCEEDED,
        InvoiceStatus.PAID,
        2,
    )

    # /refund offers the charge that paid, not the one already given back.
    await anna.send("/refund")
    listed = await anna.wait_reply(timeout=10)
    number = await _invoice_id(shop)
    await anna.press(f"Refund #{number} · 650 ⭐")
    confirm = await anna.wait_edit(listed, timeout=10)
    await anna.press("Yes, refund 650 ⭐")
    await anna.wait_edit(confirm, timeout=10)
    assert [p["refunded"] for p in await anna.payments()] == [True, True]


async def charged_twice(acme: Owner) -> list[PaymentResult]:
    """Anna pays both invoice messages of one checkout (both approved while it is pending)."""
    first = await stars_invoice(acme)
    second = await stars_invoice(acme)
    return list(
        await asyncio.gather(acme.person.pay(first.message_id), acme.person.pay(second.message_id))
    )


@pytest.mark.parametrize(
    "failure",
    [server_error(), GatewayError(502)],
    ids=["telegrams-own-error", "a-proxys-html-page"],
)
async def test_a_refund_telegram_does_not_take_at_once_is_made_by_the_worker(
    shop: Shop,
    acme: Owner,
    telegram: EmulatorServer,
    worker: AsyncBroker,
    failure: ApiError | GatewayError,
) -> None:
    anna = acme.person
    telegram.fail_next("refundStarPayment", failure)  # once

    results = await charged_twice(acme)

    assert [r.status for r in results] == ["paid", "paid"]
    replies = [await anna.wait_reply(timeout=10), await anna.wait_reply(timeout=10)]
    assert en("stars.paid.paid_twice_returning", amount="650 ⭐") in [r.text for r in replies]
    assert [p["refunded"] for p in await anna.payments()] == [False, False]
    owed = await _owed(shop)
    assert (owed.payer_id, owed.amount, owed.attempts, owed.refunded_at) == (
        anna.id,
        650,
        1,
        None,
    )
    assert owed.charge_id in {r.telegram_payment_charge_id for r in results}

    # A minute on, the worker's maintenance run asks again, and Telegram takes it.
    async with shop.factory() as session, session.begin():
        await session.execute(
            update(OwedRefund).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    await refund_job(worker)

    refunded = {p["telegram_payment_charge_id"]: p["refunded"] for p in await anna.payments()}
    assert refunded[owed.charge_id] is True
    assert sorted(refunded.values()) == [False, True]
    owed = await _owed(shop)
    assert owed.attempts == 2
    assert owed.refunded_at is not None
    rows = await billing_rows(shop)
    assert (rows["payment"], rows["invoice"], rows["events"]) == (
        PaymentStatus.SUCCEEDED,
        InvoiceStatus.PAID,
        2,
    )


async def test_a_refund_telegram_refuses_for_good_is_left_to_the_team(
    shop: Shop, acme: Owner, telegram: EmulatorServer, worker: AsyncBroker
) -> None:
    anna = acme.person
    telegram.fail_next("refundStarPayment", bad_request("CHARGE_NOT_FOUND"))

    await charged_twice(acme)

    replies = [await anna.wait_reply(timeout=10), await anna.wait_reply(timeout=10)]
    assert en("stars.paid.return_refused", amount="650 ⭐") in [r.text for r in replies]
    owed = await _owed(shop)
    assert (owed.attempts, owed.refunded_at, owed.last_error) == (
        1,
        None,
        "Bad Request: CHARGE_NOT_FOUND",
    )
    assert owed.failed_at is not None
    # Never asked again: the worker leaves it to a person.
    async with shop.factory() as session, session.begin():
        await session.execute(
            update(OwedRefund).values(next_attempt_at=utcnow() - timedelta(days=1))
        )
    await refund_job(worker)
    assert [p["refunded"] for p in await anna.payments()] == [False, False]
    assert sum(call.method == "refundStarPayment" for call in telegram.calls) == 1


async def refund_job(worker: AsyncBroker) -> None:
    """The worker's refund job, run now (the in-memory broker runs it in place)."""
    kicker: AsyncKicker[[], None] = AsyncKicker(REFUND_STARS, worker, {})
    await kicker.kiq()


async def _owed(shop: Shop) -> OwedRefund:
    async with shop.factory() as session:
        return (await session.scalars(select(OwedRefund))).one()


async def test_the_owner_refunds_a_stars_payment(shop: Shop, acme: Owner) -> None:
    anna = acme.person
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    invoice = await stars_invoice(acme)
    assert (await anna.pay(invoice.message_id)).status == "paid"
    await anna.wait_reply(timeout=10)  # the owner is told

    await anna.send("/refund")
    listed = await anna.wait_reply(timeout=10)
    number = await _invoice_id(shop)
    assert f"Invoice #{number}" in (listed.text or "")
    await anna.press(f"Refund #{number} · 650 ⭐")
    confirm = await anna.wait_edit(listed, timeout=10)
    assert confirm.text == en("stars.refund.confirm", number=number, amount="650 ⭐", days=30)
    await anna.press("Yes, refund 650 ⭐")
    done = await anna.wait_edit(confirm, timeout=10)

    until = await local_date(shop.factory, acme.company_id, trial_end)
    assert (done.text or "").startswith(en("stars.refund.done", number=number, amount="650 ⭐"))
    assert [p["refunded"] for p in await anna.payments()] == [True]
    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.status is SubscriptionStatus.CANCELED
    assert subscription.current_period_end == trial_end
    assert until in (done.text or "")
    rows = await billing_rows(shop)
    assert (rows["payment"], rows["invoice"]) == (PaymentStatus.REFUNDED, InvoiceStatus.PAID)
    assert rows["audit"][-1] == "billing.refunded"

    await anna.send("/refund")
    assert (await anna.wait_reply(timeout=10)).text == en("stars.refunds.none")


async def test_refunding_the_only_paid_time_stops_creation(shop: Shop, acme: Owner) -> None:
    anna = acme.person
    await end_period(shop.factory, acme.company_id, ago=timedelta(days=1))
    invoice = await stars_invoice(acme)
    assert (await anna.pay(invoice.message_id)).status == "paid"
    await anna.wait_reply(timeout=10)  # the owner is told
    number = await _invoice_id(shop)

    await anna.send("/refund")
    listed = await anna.wait_reply(timeout=10)
    await anna.press(f"Refund #{number} · 650 ⭐")
    confirm = await anna.wait_edit(listed, timeout=10)
    await anna.press("Yes, refund 650 ⭐")
    done = await anna.wait_edit(confirm, timeout=10)

    assert (done.text or "").endswith(en("stars.refund.expired"))
    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.status is SubscriptionStatus.EXPIRED
    await anna.send("/new Fix the login page")
    refused = await anna.wait_reply(timeout=10)
    assert refused.text == en("errors.billing.out_of_good_standing")


async def _payload(shop: Shop) -> str:
    async with shop.factory() as session:
        payload = await session.scalar(select(Payment.provider_payment_id))
    assert payload is not None
    return payload


async def _invoice_id(shop: Shop) -> int:
    async with shop.factory() as session:
        number = await session.scalar(select(Invoice.id))
    assert number is not None
    return number
