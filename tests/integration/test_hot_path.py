"""The statements every update runs are compiled once per process, not once per update.

SQLAlchemy compiles a statement again whenever it cannot key it for its cache (a dialect
`insert(...).on_conflict_do_update(...)` is one): on the hot path that cost more than the query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import SendMessage
from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from teamtasks.bot.factory import create_dispatcher
from teamtasks.config import Settings
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.services import companies, users
from tests.support.updates import message_update


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    # Nothing is sent: the dispatcher returns the replies of these updates unsent.
    session = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    bot = Bot(token="42:TEST-token", session=session)
    yield bot
    await bot.session.close()


async def test_creating_and_listing_tasks_compile_nothing_twice(
    engine: AsyncEngine, committing_factory: SessionFactory, bot: Bot
) -> None:
    dispatcher = create_dispatcher(Settings(), committing_factory, MemoryStorage())
    async with unit_of_work(committing_factory) as session:
        anna = await users.sync_from_telegram(
            session,
            telegram_id=4242,
            first_name="Anna",
            last_name=None,
            username="anna",
            language_code="en",
        )
        await companies.create_company(session, user=anna, name="Acme")

    async def create_and_list() -> None:
        for text in ("/new Fix the login page", "/my"):
            assert isinstance(await dispatcher.feed_update(bot, message_update(text)), SendMessage)

    await create_and_list()  # the first time, each statement is compiled and cached
    compiled_again: list[str] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if context.compiled is not None and context.cache_hit is not CacheStats.CACHE_HIT:
            compiled_again.append(f"{context.cache_hit.name}: {statement}")

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await create_and_list()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert compiled_again == []
