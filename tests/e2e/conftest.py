"""The end-to-end harness: the local Bot API server, the real bot on top, people who use it.

The bot runs unchanged, in polling mode (`polling_bot`) or behind `teamtasks web` in webhook
mode (`webhook_bot`), against a fresh database; `people` creates users of the local Telegram
who send, wait for replies, press buttons, send files and pay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from taskiq import AsyncBroker

from teamtasks.bot.factory import create_bot, create_dispatcher
from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.storage import ObjectStorage
from teamtasks.web.app import create_app
from teamtasks.web.state import AppState
from teamtasks.worker.process import open_job_broker
from tests.support.web import free_port, serve
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Person

BOT_TOKEN = "7000000001:E2E-test-token_abcdefghijklmnopqrstu"
BOT_USERNAME = "teamtasks_test_bot"
WEBHOOK_SECRET = "e2e-webhook-secret"


@dataclass
class RunningBot:
    """The bot under test: its Bot, its Dispatcher (add test routers to it) and its settings."""

    bot: Bot
    dispatcher: Dispatcher
    settings: Settings


@pytest.fixture
async def telegram() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(
        bot_token=BOT_TOKEN, bot_username=BOT_USERNAME, callback_answer_timeout=5.0
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(telegram: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(telegram.base_url) as emulator_client:
        yield emulator_client


@pytest.fixture
def people(client: EmulatorClient) -> Callable[..., Awaitable[Person]]:
    """`await people("Anna", language_code="ru")`: a new user of the local Telegram."""

    async def create(
        first_name: str, *, username: str | None = None, language_code: str | None = "ru"
    ) -> Person:
        return await client.create_user(first_name, username=username, language_code=language_code)

    return create


async def reply_text(person: Person, timeout: float = 10.0) -> str:  # noqa: ASYNC109
    """The text of the next message the bot sends to this person."""
    reply = await person.wait_reply(timeout=timeout)
    assert reply.text is not None, f"the bot sent no text: {reply}"
    return reply.text


def bot_settings(telegram: EmulatorServer, database_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        telegram_api_url=telegram.base_url,
        bot_token=BOT_TOKEN,
        **overrides,  # type: ignore[arg-type]
    )


async def start_polling(
    telegram: EmulatorServer,
    settings: Settings,
    factory: SessionFactory,
    *,
    files_store: ObjectStorage | None = None,
) -> tuple[RunningBot, asyncio.Task[None]]:
    """Polling as `teamtasks bot` runs it (Telegram queues what users send until it polls).

    Without `files_store` the bot opens the store of its settings, as `teamtasks bot` does.
    """
    bot = create_bot(settings)
    dispatcher = create_dispatcher(settings, factory, files_store=files_store)
    task = asyncio.create_task(
        dispatcher.start_polling(bot, handle_as_tasks=False, handle_signals=False)
    )
    return RunningBot(bot, dispatcher, settings), task


async def stop_polling(running: RunningBot, task: asyncio.Task[None]) -> None:
    if not task.done():
        await running.dispatcher.stop_polling()
    await task
    await running.bot.session.close()


@pytest.fixture
async def worker(
    telegram: EmulatorServer, database_url: str, committing_factory: SessionFactory
) -> AsyncIterator[AsyncBroker]:
    """The worker beside the bot, in this process (the in-memory broker, as in `demo`): it
    delivers the notifications the bot's updates write; `outbox.drain()` awaits them."""
    async with open_job_broker(bot_settings(telegram, database_url), committing_factory) as broker:
        yield broker


@pytest.fixture
async def polling_bot(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    tmp_path: Path,
    worker: AsyncBroker,
) -> AsyncIterator[RunningBot]:
    running, task = await start_polling(
        telegram, bot_settings(telegram, database_url, data_dir=tmp_path), committing_factory
    )
    yield running
    await stop_polling(running, task)


@pytest.fixture
async def webhook_bot(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    tmp_path: Path,
    worker: AsyncBroker,
) -> AsyncIterator[RunningBot]:
    """`teamtasks web` serving the webhook; its start-up registers it with Telegram."""
    port = free_port()
    settings = bot_settings(
        telegram,
        database_url,
        webhook_base_url=f"http://127.0.0.1:{port}",
        webhook_secret=WEBHOOK_SECRET,
        data_dir=tmp_path,
    )
    app = create_app(settings)
    async with serve(app, port=port):
        state: AppState = app.state.teamtasks
        assert state.telegram is not None
        yield RunningBot(state.telegram.bot, state.telegram.dispatcher, settings)


@pytest.fixture(params=["polling", "webhook"])
def any_bot(request: pytest.FixtureRequest) -> RunningBot:
    """The same scenario through polling and through webhook mode."""
    running: RunningBot = request.getfixturevalue(f"{request.param}_bot")
    return running
