"""Fixtures shared by every test: a fresh PostgreSQL database built by the migrations, Redis.

The servers are real: PostgreSQL and Redis over their sockets. `TEST_POSTGRES_URL` (an admin
connection) and `TEST_REDIS_URL` point elsewhere than the local defaults when needed; without
it a run claims a Redis database of its own (tests/support/redis_db.py).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from teamtasks import migrations
from teamtasks.db import SessionFactory, create_session_factory
from teamtasks.models import Base
from tests.support.logs import configure_test_logging
from tests.support.redis_db import claim_redis_url

ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = claim_redis_url()
SEEDED = frozenset({"plans"})
"""Tables whose rows a migration writes (reference data): kept between tests."""


@pytest.fixture(scope="session", autouse=True)
def logging_as_in_production(data_dir: Path) -> None:
    configure_test_logging()


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Settings built without `data_dir` (and the processes the tests start) keep their files
    and generated development secrets in a directory of the test run, never in ./var."""
    path = tmp_path_factory.mktemp("data")
    previous = os.environ.get("DATA_DIR")
    os.environ["DATA_DIR"] = str(path)
    yield path
    if previous is None:
        del os.environ["DATA_DIR"]
    else:
        os.environ["DATA_DIR"] = previous


async def create_database(prefix: str = "teamtasks_test") -> str:
    """A new, empty PostgreSQL database; returns its SQLAlchemy URL."""
    admin = make_url(ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    admin = make_url(ADMIN_URL)
    name = make_url(url).database
    connection = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database upgraded from empty by the migrations, dropped after the session."""
    url = await create_database()
    await asyncio.to_thread(migrations.upgrade, url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5, max_overflow=10)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test.

    The code under test may commit: with `create_savepoint` its commits release savepoints of
    the outer transaction, and nothing reaches the database for the next test.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
async def committing_factory(engine: AsyncEngine) -> AsyncIterator[SessionFactory]:
    """A session factory whose commits are real, for code that opens its own transactions.

    Every table is emptied after the test, except the plans the migrations seed.
    """
    yield create_session_factory(engine)
    tables = ", ".join(
        f'"{table.name}"' for table in Base.metadata.sorted_tables if table.name not in SEEDED
    )
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A real Redis connection on a database of its own, emptied before and after the test."""
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
