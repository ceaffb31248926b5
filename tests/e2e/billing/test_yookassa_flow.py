"""An owner buys a plan through YooKassa, end to end: /buy in the bot, YooKassa's pay page (its
local server, over HTTP), YooKassa's notification to our webhook, the payment fetched back from
YooKassa's API, the subscription extended, the owner told; and a refund made in YooKassa takes
the bought time back."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from teamtasks.i18n import gettext
from teamtasks.models import AuditLog, Invoice, Notification, Payment
from teamtasks.models.enums import InvoiceStatus, Language, PaymentStatus, SubscriptionStatus
from tests.e2e.billing.conftest import Owner, Shop, local_date, subscription_of, url_button
from tests.support.yookassa_server import SECRET_KEY, SHOP_ID, YooKassaServer

TEAM_BY_CARD = "Team · Card or SBP · 990 ₽"


@pytest.fixture
async def yookassa() -> AsyncIterator[YooKassaServer]:
    server = YooKassaServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def payment_settings(yookassa: YooKassaServer) -> dict[str, Any]:
    return {
        "payment_providers": "yookassa",
        "yookassa_shop_id": SHOP_ID,
        "yookassa_secret_key": SECRET_KEY,
        "yookassa_api_url": yookassa.api_url,
        "yookassa_allowed_ips": "127.0.0.1",
    }


def en(key: str, **params: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", gettext(Language.EN, key, **params)))


async def test_owner_buys_team_through_yookassa_and_is_told(
    shop: Shop, acme: Owner, yookassa: YooKassaServer
) -> None:
    yookassa.webhook_url = shop.web_url + "/payments/yookassa/webhook"
    anna = acme.person
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    await anna.send("/buy")
    plans = await anna.wait_reply(timeout=10)
    assert TEAM_BY_CARD in plans.buttons
    await anna.press(TEAM_BY_CARD)
    checkout = await anna.wait_reply(timeout=10)
    assert "the Team plan for 30 days, 990 ₽" in (checkout.text or "")
    page_url = url_button(checkout)
    assert page_url.startswith(yookassa.base_url + "/checkout/")

    async with httpx.AsyncClient(timeout=30) as browser:
        page = await browser.get(page_url)
        assert page.status_code == 200
        assert "990.00 RUB: pending" in page.text
        paid = await browser.post(page_url, data={"action": "pay"})

    assert paid.status_code == 303
    assert paid.headers["location"] == shop.web_url
    told = await anna.wait_reply(timeout=10)
    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end == trial_end + timedelta(days=30)
    until = await local_date(shop.factory, acme.company_id, subscription.current_period_end)
    assert told.text == en(
        "billing.notify.paid", company="Acme", plan="Team", amount="990 ₽", until=until
    )
    async with shop.factory() as session:
        invoice = await session.scalar(select(Invoice))
        payment = await session.scalar(select(Payment))
    assert invoice is not None
    assert payment is not None
    assert (invoice.status, payment.status) == (InvoiceStatus.PAID, PaymentStatus.SUCCEEDED)
    created = yookassa.requests[0]
    assert (created.method, created.authorized) == ("POST", True)
    assert created.idempotence_key is not None
    assert created.idempotence_key.startswith(f"invoice-{invoice.id}-")
    assert created.body is not None
    assert created.body["amount"] == {"value": "990.00", "currency": "RUB"}
    assert created.body["metadata"]["invoice_id"] == str(invoice.id)
    fetched = [c for c in yookassa.requests if c.method == "GET"]
    assert [c.path for c in fetched] == [f"/v3/payments/{payment.provider_payment_id}"]


async def test_a_refund_made_in_yookassa_takes_back_what_the_payment_bought(
    shop: Shop, acme: Owner, yookassa: YooKassaServer
) -> None:
    yookassa.webhook_url = shop.web_url + "/payments/yookassa/webhook"
    anna = acme.person
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    await anna.send("/buy")
    await anna.wait_reply(timeout=10)
    await anna.press(TEAM_BY_CARD)
    checkout = await anna.wait_reply(timeout=10)
    async with httpx.AsyncClient(timeout=30) as browser:
        await browser.post(url_button(checkout), data={"action": "pay"})
    await anna.wait_reply(timeout=10)  # paid: told
    async with shop.factory() as session:
        payment = await session.scalar(select(Payment))
    assert payment is not None

    # The shop's operator refunds the payment in YooKassa's dashboard: part of it first (the
    # payment stays succeeded, nothing changes), then the rest.
    assert await yookassa.refund(payment.provider_payment_id, "400.00") == 200
    partly = await subscription_of(shop.factory, acme.company_id)
    assert partly.current_period_end == trial_end + timedelta(days=30)
    assert await yookassa.refund(payment.provider_payment_id) == 200
    told = await anna.wait_reply(timeout=10)

    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.current_period_end == trial_end  # the 30 days are taken back
    # No other payment paid for the time left (trial time): it ends there, without grace.
    assert (subscription.status, subscription.cancel_at_period_end) == (
        SubscriptionStatus.CANCELED,
        True,
    )
    until = await local_date(shop.factory, acme.company_id, trial_end)
    assert told.text == en(
        "billing.notify.refunded", company="Acme", plan="Team", amount="990 ₽", until=until
    )
    async with shop.factory() as session:
        refunded = await session.get_one(Payment, payment.id)
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert refunded.status is PaymentStatus.REFUNDED
    assert actions[-2:] == ["billing.paid", "billing.refunded"]

    # YooKassa sends it again: nothing changes, nobody is told twice.
    refund_id = yookassa.payments[payment.provider_payment_id].refunds[-1]
    replay = {
        "type": "notification",
        "event": "refund.succeeded",
        "object": {
            "id": refund_id,
            "payment_id": payment.provider_payment_id,
            "status": "succeeded",
            "amount": {"value": "590.00", "currency": "RUB"},
        },
    }
    assert await yookassa.notify(replay) == 200
    assert (await subscription_of(shop.factory, acme.company_id)).current_period_end == trial_end
    async with shop.factory() as session:
        told_count = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "billing.refunded")
        )
    assert told_count == 1
