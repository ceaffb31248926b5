"""Alembic environment: runs migrations over the async engine the application uses.

The database URL comes from the application's settings, unless the caller (a test, say) set
`sqlalchemy.url` on the Alembic config.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from teamtasks.config import load_settings
from teamtasks.db import create_engine
from teamtasks.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    overrides = {}
    if url := config.get_main_option("sqlalchemy.url"):
        overrides["database_url"] = url
    engine = create_engine(load_settings(**overrides))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `teamtasks migrate`")
asyncio.run(_run_async())
