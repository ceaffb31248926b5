"""The statements every update runs are compiled once per process, not once per update.

SQLAlchemy compiles a statement again whenever it cannot key it for its cache (a dialect
`insert(...).on_conflict_do_update(...)` is one): on the hot path that cost more than the query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import SendMessage
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from teamtasks import db
from teamtasks.bot.factory import create_dispatcher
from teamtasks.config import Settings
from teamtasks.db import SessionFactory, create_engine, unit_of_work
from teamtasks.services import companies, users
from tests.support.updates import message_update


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    # Nothing is sent: the dispatcher returns the replies of these updates unsent.
    session = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    bot = Bot(token="42:TEST-token", session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def dispatcher(committing_factory: SessionFactory, tmp_path: Path) -> Dispatcher:
    """The bot's dispatcher, and Anna, owner of Acme, as the sender of every update."""
    dispatcher = create_dispatcher(Settings(data_dir=tmp_path), committing_factory, MemoryStorage())
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
    return dispatcher


async def test_creating_and_listing_tasks_compile_nothing_twice(
    engine: AsyncEngine, dispatcher: Dispatcher, bot: Bot
) -> None:
    async def create_and_list() -> None:
        for command in ("/new Fix the login page", "/my"):
            reply = await dispatcher.feed_update(bot, message_update(command))
            assert isinstance(reply, SendMessage)

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


async def test_an_update_costs_the_round_trips_its_work_needs_and_no_more(
    engine: AsyncEngine, dispatcher: Dispatcher, bot: Bot
) -> None:
    """Statements per update on PostgreSQL, besides BEGIN and COMMIT: the claim and the sender
    in one, then the handler's own (/new: number and insert, audit row; /my: the page)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2].split()[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for command, expected in (
            ("/new Fix the login page", ["WITH", "WITH", "INSERT"]),
            ("/my", ["WITH", "SELECT"]),
        ):
            statements.clear()
            assert isinstance(
                await dispatcher.feed_update(bot, message_update(command)), SendMessage
            )
            assert statements == expected, command
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def _terminate(database_url: str, pid: int) -> None:
    admin = await asyncpg.connect(
        make_url(database_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


@pytest.fixture
async def one_connection_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=database_url, database_pool_size=1))
    yield engine
    await engine.dispose()


async def test_a_connection_dropped_while_idle_is_replaced_before_use(
    database_url: str, one_connection_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = await _backend_pid(one_connection_engine)
    await _terminate(database_url, dropped)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every rest counts as long

    replacement = await _backend_pid(one_connection_engine)

    assert replacement != dropped


async def test_a_connection_used_moments_ago_is_not_pinged(
    database_url: str, one_connection_engine: AsyncEngine
) -> None:
    """No ping round trips on the hot path: a dropped fresh connection fails its first statement
    (the update runs again), and the pool then reconnects."""
    dropped = await _backend_pid(one_connection_engine)
    await _terminate(database_url, dropped)

    with pytest.raises(DBAPIError) as failure:
        await _backend_pid(one_connection_engine)

    assert failure.value.connection_invalidated
    assert await _backend_pid(one_connection_engine) != dropped
