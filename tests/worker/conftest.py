"""The worker against the local Bot API and a real PostgreSQL (and Redis for the shared limits).

`telegram` is the local Bot API server with its flood control on; `people` are its users, who
have started the bot; `clock` is the clock every job reads (it moves only when a test moves it);
`context` builds a worker's context on them, as `teamtasks worker` would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.worker.context import WorkerContext
from teamtasks.worker.process import worker_context
from tgemulator import EmulatorServer, FloodLimits
from tgemulator.client import EmulatorClient, Person

BOT_TOKEN = "7000000002:worker-test-token_abcdefghijklmnopqrs"
BOT_USERNAME = "teamtasks_worker_bot"


class Clock:
    """The jobs' clock: a fixed UTC time that a test moves forward."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 12, 1, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, span: timedelta) -> None:
        self.now += span


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def telegram() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(bot_token=BOT_TOKEN, bot_username=BOT_USERNAME, flood=FloodLimits())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(telegram: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(telegram.base_url) as emulator_client:
        yield emulator_client


@pytest.fixture
def people(client: EmulatorClient) -> Callable[[int], Awaitable[list[Person]]]:
    """`await people(3)`: users of the local Telegram who have started the bot."""

    async def create(count: int) -> list[Person]:
        persons = [await client.create_user(f"User {n}") for n in range(count)]
        for person in persons:
            await person.send("/start")
        return persons

    return create


def worker_settings(telegram: EmulatorServer, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "telegram_api_url": telegram.base_url,
        "bot_token": BOT_TOKEN,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


ContextFactory = Callable[..., Awaitable[WorkerContext]]


@pytest.fixture
async def context(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    clock: Clock,
    redis: Redis,
) -> AsyncIterator[ContextFactory]:
    """`await context(**settings)`: a worker's context (several share Redis when REDIS_URL is
    among the settings, as N workers do)."""
    async with AsyncExitStack() as stack:

        async def create(**overrides: object) -> WorkerContext:
            settings = worker_settings(telegram, database_url, **overrides)
            return await stack.enter_async_context(
                worker_context(settings, committing_factory, clock=clock)
            )

        yield create
