"""An owner buys a plan through the sandbox, end to end: /buy in the bot, the pay page over HTTP,
the sandbox's signed notification to our webhook, the subscription extended, the owner told."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from teamtasks.db import unit_of_work
from teamtasks.i18n import gettext
from teamtasks.models import Invoice, Membership, Payment, Task
from teamtasks.models.base import utcnow
from teamtasks.models.enums import (
    InvoiceStatus,
    Language,
    PaymentStatus,
    Role,
    SubscriptionStatus,
)
from teamtasks.services import users
from tests.e2e.billing.conftest import (
    Owner,
    People,
    Shop,
    end_period,
    local_date,
    press_on_page,
    subscription_of,
    url_button,
)

TEAM_BY_SANDBOX = "Team · Sandbox · 990 ₽"


def en(key: str, **params: Any) -> str:
    """A text of the locales as the person sees it: markup gone, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", gettext(Language.EN, key, **params)))


async def buy_team(shop: Shop, acme: Owner) -> str:
    """Anna opens /buy, chooses Team through the sandbox, and gets the pay page's link."""
    anna = acme.person
    await anna.send("/buy")
    plans = await anna.wait_reply(timeout=10)
    assert "Team — 990 ₽" in (plans.text or "")
    assert TEAM_BY_SANDBOX in plans.buttons
    await anna.press(TEAM_BY_SANDBOX)
    invoice = await anna.wait_reply(timeout=10)
    assert "the Team plan for 30 days, 990 ₽" in (invoice.text or "")
    url = url_button(invoice)
    assert url.startswith(shop.web_url + "/payments/sandbox/pay/sbx_")
    return url


async def test_owner_buys_team_through_the_sandbox_and_is_told(shop: Shop, acme: Owner) -> None:
    trial_end = (await subscription_of(shop.factory, acme.company_id)).current_period_end
    url = await buy_team(shop, acme)

    page = await press_on_page(url, "pay")

    assert page.status_code == 200
    assert en("sandbox.page.status.succeeded") in page.text
    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end == trial_end + timedelta(days=30)
    told = await acme.person.wait_reply(timeout=10)
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

    page_again = await press_on_page(url, None)
    assert en("sandbox.page.status.succeeded") in page_again.text
    assert "<form" not in page_again.text, "a paid payment offers no button"
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        resent = await browser.post(f"{url}/pay")  # the form of a page left open
    assert resent.status_code == 200
    extended = await subscription_of(shop.factory, acme.company_id)
    assert extended.current_period_end == subscription.current_period_end


async def test_declining_on_the_page_cancels_the_invoice_and_extends_nothing(
    shop: Shop, acme: Owner
) -> None:
    before = await subscription_of(shop.factory, acme.company_id)
    url = await buy_team(shop, acme)

    page = await press_on_page(url, "decline")

    assert en("sandbox.page.status.canceled") in page.text
    after = await subscription_of(shop.factory, acme.company_id)
    assert (after.status, after.current_period_end) == (
        SubscriptionStatus.TRIALING,
        before.current_period_end,
    )
    async with shop.factory() as session:
        invoice = await session.scalar(select(Invoice))
    assert invoice is not None
    assert invoice.status is InvoiceStatus.CANCELED


async def test_an_ended_trial_blocks_creation_until_the_owner_pays(shop: Shop, acme: Owner) -> None:
    anna = acme.person
    await end_period(shop.factory, acme.company_id, ago=timedelta(hours=1))

    await anna.send("/new Fix the login page")
    refused = await anna.wait_reply(timeout=10)

    assert refused.text == en("errors.billing.out_of_good_standing")
    assert "/buy" in refused.text
    await anna.send("/billing")
    shown = await anna.wait_reply(timeout=10)
    assert "The period ended on" in (shown.text or "")

    url = await buy_team(shop, acme)
    await press_on_page(url, "pay")
    await anna.wait_reply(timeout=10)  # the payment is received

    subscription = await subscription_of(shop.factory, acme.company_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end > utcnow() + timedelta(days=29)
    await anna.send("/new Fix the login page")
    created = await anna.wait_reply(timeout=10)
    assert "#1 · Fix the login page" in (created.text or "")
    async with shop.factory() as session:
        assert await session.scalar(select(func.count()).select_from(Task)) == 1


async def test_only_owners_buy_and_members_see_no_invoices(
    shop: Shop, acme: Owner, people: People
) -> None:
    bob = await people("Bob", language_code="en")
    async with unit_of_work(shop.factory) as session:
        user = await users.sync_from_telegram(
            session,
            telegram_id=bob.id,
            first_name="Bob",
            last_name=None,
            username=None,
            language_code="en",
        )
        session.add(Membership(company_id=acme.company_id, user_id=user.id, role=Role.MEMBER))
        user.active_company_id = acme.company_id

    await bob.send("/buy")
    refused = await bob.wait_reply(timeout=10)
    await bob.send("/billing")
    shown = await bob.wait_reply(timeout=10)

    assert refused.text == en("errors.forbidden.billing.manage")
    assert "Members: 2 of 15" in (shown.text or "")
    assert "Invoices" not in (shown.text or "")
    assert shown.buttons == []
