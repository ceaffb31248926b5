"""The bot through the real Bot API wire format: answers, failures, redelivery, webhook guards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import SessionFactory
from teamtasks.models import Company, ProcessedUpdate, User
from tests.e2e.conftest import (
    WEBHOOK_SECRET,
    RunningBot,
    bot_settings,
    reply_text,
    start_polling,
    stop_polling,
)
from tests.support.routing import include_test_router
from tgemulator import EmulatorServer
from tgemulator.client import Person

APOLOGY_RU = "Извините, что-то пошло не так."
APOLOGY_EN = "Sorry, something went wrong."

People = Callable[..., Awaitable[Person]]


def flaky_router(failures: int) -> tuple[Router, list[int]]:
    """`/found` writes a company, then fails the first `failures` times."""
    router = Router(name="flaky")
    runs: list[int] = []

    @router.message(Command("found"))
    async def found(message: Message, session: AsyncSession) -> SendMessage:
        runs.append(message.message_id)
        session.add(Company(name="Acme"))
        await session.flush()
        if len(runs) <= failures:
            raise RuntimeError("lost the database mid-update")
        # Returned, as the bot's handlers do: sent once the update's work has committed.
        return message.answer("Acme is founded")

    return router, runs


async def count(factory: SessionFactory, model: type[Company] | type[User]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_start_is_answered_in_the_users_language(
    any_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", username="anna", language_code="ru")
    john = await people("John", language_code="en")

    await anna.send("/start")
    await john.send("/start")

    assert (await reply_text(anna)).startswith("Привет, Anna!")
    assert (await reply_text(john)).startswith("Hi, John!")
    async with committing_factory() as session:
        names = (await session.scalars(select(User.first_name).order_by(User.first_name))).all()
    assert names == ["Anna", "John"]


async def test_a_failed_update_apologizes_and_leaves_nothing_behind(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    router, runs = flaky_router(failures=1)
    include_test_router(polling_bot.dispatcher, router)
    anna = await people("Anna", language_code="en")

    await anna.send("/found")
    assert (await reply_text(anna)).startswith(APOLOGY_EN)
    assert await count(committing_factory, Company) == 0

    await anna.send("/start")
    assert (await reply_text(anna)).startswith("Hi, Anna!")
    assert len(runs) == 1


async def test_webhook_redelivers_a_failed_update_until_it_commits(
    webhook_bot: RunningBot,
    people: People,
    committing_factory: SessionFactory,
    telegram: EmulatorServer,
) -> None:
    router, runs = flaky_router(failures=1)
    include_test_router(webhook_bot.dispatcher, router)
    anna = await people("Anna", language_code="ru")

    message_id = await anna.send("/found")
    apology, answer = [reply.text or "" for reply in await anna.wait_replies(2)]

    assert apology.startswith(APOLOGY_RU)
    assert answer == "Acme is founded"
    assert runs == [message_id, message_id]
    assert await count(committing_factory, Company) == 1
    info = await webhook_bot.bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert "500" in (info.last_error_message or "")


async def test_webhook_with_a_wrong_secret_is_refused_and_kept_pending(
    webhook_bot: RunningBot,
    people: People,
    committing_factory: SessionFactory,
    telegram: EmulatorServer,
) -> None:
    url = f"{webhook_bot.settings.webhook_base_url}/telegram/webhook"
    await webhook_bot.bot.set_webhook(url=url, secret_token="not-" + WEBHOOK_SECRET)
    anna = await people("Anna")

    await anna.send("/start")
    info = await webhook_bot.bot.get_webhook_info()
    async with asyncio.timeout(10):
        while "401" not in (info.last_error_message or ""):
            info = await webhook_bot.bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert await count(committing_factory, User) == 0

    await webhook_bot.bot.set_webhook(url=url, secret_token=WEBHOOK_SECRET)
    assert (await reply_text(anna)).startswith("Привет, Anna!")


async def test_polling_confirms_an_update_only_after_it_was_handled(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    people: People,
    tmp_path: Path,
) -> None:
    """A bot stopped with an update in hand has not confirmed it: it comes again after a restart."""
    settings = bot_settings(telegram, database_url, data_dir=tmp_path)
    first, task = await start_polling(telegram, settings, committing_factory)
    entered = asyncio.Event()
    hang = Router(name="hang")

    @hang.message(Command("found"))
    async def found_and_hang(message: Message, session: AsyncSession) -> None:
        session.add(Company(name="Half-made"))
        await session.flush()
        entered.set()
        await asyncio.Event().wait()

    include_test_router(first.dispatcher, hang)
    anna = await people("Anna", language_code="en")
    await anna.send("/found")
    await entered.wait()
    await stop_polling(first, task)  # the handler is cancelled mid-update
    assert await count(committing_factory, Company) == 0

    second, task = await start_polling(telegram, settings, committing_factory)
    router, runs = flaky_router(failures=0)
    include_test_router(second.dispatcher, router)
    try:
        assert (await reply_text(anna)) == "Acme is founded"
        assert len(runs) == 1
        assert await count(committing_factory, Company) == 1
        async with committing_factory() as session:
            processed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert processed == 1
    finally:
        await stop_polling(second, task)
