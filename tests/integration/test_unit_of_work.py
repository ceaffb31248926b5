"""One update = one unit of work: committed once, rolled back on failure, never run twice."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import SendMessage
from aiogram.types import Message
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from teamtasks.bot.factory import create_dispatcher, create_fsm_storage
from teamtasks.bot.middlewares.unit_of_work import UpdateFailedError
from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.models import Company, ProcessedUpdate, User
from teamtasks.models.enums import UpdateOutcome
from teamtasks.observability.logging import configure_logging
from teamtasks.services.updates import MAX_ATTEMPTS
from tests.conftest import REDIS_URL
from tests.support.logs import configure_test_logging
from tests.support.routing import include_test_router
from tests.support.updates import message_update

TOKEN = "42:TEST-token-that-must-never-be-logged"


@dataclass
class Script:
    """What the test handler does: how many times it ran and how many more times it fails."""

    runs: int = 0
    failures_left: int = 0
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event | None = None


def _router(script: Script) -> Router:
    router = Router(name="test")

    @router.message(Command("found"))
    async def found(message: Message, session: AsyncSession) -> SendMessage:
        script.runs += 1
        session.add(Company(name=f"Company {script.runs}"))
        await session.flush()
        script.entered.set()
        if script.release is not None:
            await script.release.wait()
        if script.failures_left > 0:
            script.failures_left -= 1
            raise RuntimeError("the handler broke after writing")
        return message.answer("founded")

    return router


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    # A closed port: nothing is sent in these tests but the apology, and that may fail quietly.
    session = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    bot = Bot(token=TOKEN, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
def dispatcher(committing_factory: SessionFactory, script: Script) -> Dispatcher:
    dispatcher = create_dispatcher(Settings(), committing_factory)
    include_test_router(dispatcher, _router(script))
    return dispatcher


async def _count(factory: SessionFactory, model: type[Company] | type[User]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _processed(factory: SessionFactory, update_id: int) -> ProcessedUpdate | None:
    async with factory() as session:
        return await session.get(ProcessedUpdate, update_id)


async def test_work_commits_once_and_a_redelivery_is_skipped(
    dispatcher: Dispatcher, bot: Bot, committing_factory: SessionFactory, script: Script
) -> None:
    update = message_update("/found")
    first = await dispatcher.feed_update(bot, update)
    again = await dispatcher.feed_update(bot, update)

    assert isinstance(first, SendMessage)
    assert first.text == "founded"
    assert again is UNHANDLED
    assert script.runs == 1
    assert await _count(committing_factory, Company) == 1
    record = await _processed(committing_factory, update.update_id)
    assert record is not None
    assert record.outcome is UpdateOutcome.DONE


async def test_a_failing_handler_leaves_nothing_behind_and_runs_again(
    dispatcher: Dispatcher, bot: Bot, committing_factory: SessionFactory, script: Script
) -> None:
    script.failures_left = 1
    update = message_update("/found")

    with pytest.raises(UpdateFailedError):
        await dispatcher.feed_update(bot, update)
    assert await _count(committing_factory, Company) == 0
    assert await _count(committing_factory, User) == 0
    failed = await _processed(committing_factory, update.update_id)
    assert failed is not None
    assert (failed.outcome, failed.attempts) == (UpdateOutcome.FAILED, 1)

    result = await dispatcher.feed_update(bot, update)
    assert isinstance(result, SendMessage)
    assert await _count(committing_factory, Company) == 1
    done = await _processed(committing_factory, update.update_id)
    assert done is not None
    assert (done.outcome, done.attempts) == (UpdateOutcome.DONE, 2)


async def test_an_update_that_keeps_failing_is_given_up(
    dispatcher: Dispatcher, bot: Bot, committing_factory: SessionFactory, script: Script
) -> None:
    script.failures_left = MAX_ATTEMPTS + 5
    update = message_update("/found")
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(UpdateFailedError):
            await dispatcher.feed_update(bot, update)

    assert await dispatcher.feed_update(bot, update) is UNHANDLED
    assert script.runs == MAX_ATTEMPTS
    assert await _count(committing_factory, Company) == 0


async def test_concurrent_deliveries_of_one_update_run_it_once(
    dispatcher: Dispatcher,
    bot: Bot,
    engine: AsyncEngine,
    committing_factory: SessionFactory,
    script: Script,
) -> None:
    script.release = asyncio.Event()
    update = message_update("/found")
    first = asyncio.create_task(dispatcher.feed_update(bot, update))
    await script.entered.wait()
    second = asyncio.create_task(dispatcher.feed_update(bot, update))
    await _until_a_lock_is_awaited(engine)
    script.release.set()

    results = await asyncio.gather(first, second)
    assert isinstance(results[0], SendMessage)
    assert results[1] is UNHANDLED
    assert script.runs == 1
    assert await _count(committing_factory, Company) == 1


async def _until_a_lock_is_awaited(engine: AsyncEngine) -> None:
    """Wait (bounded) until the second delivery blocks on the first one's claim."""
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as connection:
                if await connection.scalar(query):
                    return
            await asyncio.sleep(0.01)


async def test_the_sender_is_kept_in_step_with_telegram(
    dispatcher: Dispatcher, bot: Bot, committing_factory: SessionFactory
) -> None:
    await dispatcher.feed_update(bot, message_update("/start", username="anna", language_code="en"))
    await dispatcher.feed_update(
        bot, message_update("/start", first_name="Anna K", username="anna_k", language_code="ru")
    )

    async with committing_factory() as session:
        users = (await session.scalars(select(User))).all()
    assert [(u.telegram_id, u.first_name, u.username, u.language_code) for u in users] == [
        (4242, "Anna K", "anna_k", "ru")
    ]


async def test_start_answers_in_the_users_language(dispatcher: Dispatcher, bot: Bot) -> None:
    english = await dispatcher.feed_update(bot, message_update("/start", language_code="en"))
    russian = await dispatcher.feed_update(
        bot, message_update("/start", user_id=77, first_name="Борис", language_code="ru")
    )
    other = await dispatcher.feed_update(
        bot, message_update("/start", user_id=78, first_name="Hans", language_code="de")
    )
    assert isinstance(english, SendMessage)
    assert english.text.startswith("Hi, Anna!")
    assert isinstance(russian, SendMessage)
    assert russian.text.startswith("Привет, Борис!")
    assert isinstance(other, SendMessage)
    assert other.text.startswith("Привет, Hans!")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(Settings(bot_token=TOKEN), stream=stream)
    yield stream
    configure_test_logging()


async def test_each_update_is_logged_as_json_with_its_context(
    dispatcher: Dispatcher, bot: Bot, script: Script, log_stream: io.StringIO
) -> None:
    update = message_update("/found")
    await dispatcher.feed_update(bot, update)
    script.failures_left = 1
    with pytest.raises(UpdateFailedError):
        await dispatcher.feed_update(bot, message_update("/found"))

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    handled = next(line for line in lines if line["event"] == "update_handled")
    assert handled["update_id"] == update.update_id
    assert handled["handler"] == "test_unit_of_work._router.<locals>.found"
    assert isinstance(handled["user_id"], int)
    assert "company_id" in handled
    assert handled["duration_ms"] >= 0
    failed = next(line for line in lines if line["event"] == "update_failed")
    assert "the handler broke after writing" in failed["exception"]
    assert TOKEN not in log_stream.getvalue()
    assert TOKEN.split(":")[1] not in log_stream.getvalue()


async def test_conversation_state_lives_in_redis_when_configured(
    committing_factory: SessionFactory, bot: Bot, redis: Redis
) -> None:
    settings = Settings(redis_url=REDIS_URL)
    storage = create_fsm_storage(settings)
    assert isinstance(storage, RedisStorage)
    dispatcher = create_dispatcher(settings, committing_factory, storage)
    router = Router(name="fsm")

    @router.message(Command("remember"))
    async def remember(message: Message, state: FSMContext) -> None:
        await state.update_data(note=message.text)

    include_test_router(dispatcher, router)
    try:
        await dispatcher.feed_update(bot, message_update("/remember milk"))
        keys = [key.decode() async for key in redis.scan_iter("fsm:*")]
        assert len(keys) == 1
        raw = await redis.get(keys[0])
        assert raw is not None
        assert json.loads(raw) == {"note": "/remember milk"}
    finally:
        await storage.close()
