"""The shop: `teamtasks web` serving the bot (webhook mode), the payment webhooks and the
sandbox's pay page, on one port, against a fresh database; and a company whose owner buys.

A test module changes what the shop runs with by overriding `payment_settings` (for example
`{"payment_providers": "yookassa", "yookassa_api_url": ...}`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from taskiq import AsyncBroker

from teamtasks.config import Settings
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Company, Subscription
from teamtasks.models.base import utcnow
from teamtasks.services import companies, users
from teamtasks.web.app import create_app
from teamtasks.web.state import AppState
from tests.e2e.conftest import WEBHOOK_SECRET, RunningBot, bot_settings
from tests.support.web import free_port, serve
from tgemulator import EmulatorServer
from tgemulator.client import ChatMessage, Person

People = Callable[..., Awaitable[Person]]


@dataclass
class Shop:
    running: RunningBot
    web_url: str
    settings: Settings
    factory: SessionFactory


@dataclass
class Owner:
    person: Person
    user_id: int
    company_id: int


@pytest.fixture(autouse=True)
def no_flood_control(telegram: EmulatorServer) -> None:
    """These scenarios type faster than a person could; Telegram's pacing is not what they test."""
    telegram.flood.enabled = False


@pytest.fixture
def payment_settings() -> dict[str, Any]:
    """Settings of the shop beyond the e2e defaults; a test module overrides this fixture."""
    return {"payment_providers": "sandbox"}


@pytest.fixture
async def shop(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    tmp_path: Path,
    payment_settings: dict[str, Any],
    worker: AsyncBroker,
) -> AsyncIterator[Shop]:
    """The web app; the worker beside it (in this process) delivers what settlement writes."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = bot_settings(
        telegram,
        database_url,
        webhook_base_url=base_url,
        webhook_secret=WEBHOOK_SECRET,
        data_dir=tmp_path,
        **payment_settings,
    )
    app = create_app(settings)
    async with serve(app, port=port):
        state: AppState = app.state.teamtasks
        assert state.telegram is not None
        running = RunningBot(state.telegram.bot, state.telegram.dispatcher, settings)
        yield Shop(running, base_url, settings, committing_factory)


@pytest.fixture
async def acme(people: People, shop: Shop) -> Owner:
    """Anna (English) owns Acme, on its trial, made through the services."""
    anna = await people("Anna", username="anna", language_code="en")
    async with unit_of_work(shop.factory) as session:
        user = await users.sync_from_telegram(
            session,
            telegram_id=anna.id,
            first_name=anna.first_name,
            last_name=None,
            username=anna.username,
            language_code="en",
        )
        company = await companies.create_company(session, user=user, name="Acme")
    return Owner(anna, user.id, company.id)


async def end_period(factory: SessionFactory, company_id: int, *, ago: timedelta) -> datetime:
    """Move the company's current period's end into the past, as time passing would."""
    ended = utcnow() - ago
    async with unit_of_work(factory) as session:
        start = await session.scalar(
            select(Subscription.current_period_start).where(Subscription.company_id == company_id)
        )
        assert start is not None
        await session.execute(
            update(Subscription)
            .where(Subscription.company_id == company_id)
            .values(
                current_period_start=min(start, ended - timedelta(days=1)),
                current_period_end=ended,
            )
        )
    return ended


async def subscription_of(factory: SessionFactory, company_id: int) -> Subscription:
    async with factory() as session:
        row = await session.scalar(
            select(Subscription).where(Subscription.company_id == company_id)
        )
    assert row is not None
    return row


async def local_date(factory: SessionFactory, company_id: int, moment: datetime) -> str:
    """The day `moment` falls on where the company is, as the bot writes dates."""
    async with factory() as session:
        company = await session.get_one(Company, company_id)
    return moment.astimezone(ZoneInfo(company.timezone)).strftime("%d.%m.%Y")


def url_button(message: ChatMessage) -> str:
    """The URL of the message's one link button (the provider's page)."""
    urls = [
        button["url"]
        for row in (message.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if "url" in button
    ]
    assert len(urls) == 1, message.reply_markup
    return str(urls[0])


async def press_on_page(page_url: str, action: str | None) -> httpx.Response:
    """An English browser on the sandbox's pay page: load it, then press Pay ("pay") or Decline
    ("decline"), and read the page it lands on (None: only look at the page)."""
    async with httpx.AsyncClient(
        follow_redirects=True, timeout=30, headers={"Accept-Language": "en-GB,en;q=0.9"}
    ) as browser:
        page = await browser.get(page_url)
        assert page.status_code == 200, page.text
        if action is None:
            return page
        assert f'action="{httpx.URL(page_url).path}/{action}"' in page.text
        return await browser.post(f"{page_url}/{action}")
