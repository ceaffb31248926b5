"""Exactly-once handling of Telegram updates (DESIGN.md, Delivery guarantees).

Both statements are plain SQL that PostgreSQL and SQLite (3.35+) read alike: SQLAlchemy cannot
cache the compiled form of a dialect `insert(...).on_conflict_do_update(...)`, so that form
would be compiled again on every update; a `text()` statement built once is compiled once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, CursorResult, bindparam, column, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import ProcessedUpdate
from teamtasks.models.base import UTCDateTime, utcnow
from teamtasks.models.enums import UpdateOutcome
from teamtasks.services import actors

MAX_ATTEMPTS = 3
"""After this many failed attempts a redelivered update is acknowledged and no longer run."""
KEEP = timedelta(days=2)
"""How long an update's record is kept. Telegram keeps an undelivered update 24 hours at most,
so an older record can meet no redelivery; and after a week without updates Telegram starts
update ids anew at random, where an old record would make a new update look handled."""

_CLAIM = text(
    "INSERT INTO processed_updates (update_id, outcome, attempts, created_at, updated_at) "
    "VALUES (:update_id, :done, 1, :now, :now) "
    "ON CONFLICT (update_id) DO UPDATE "
    "SET outcome = :done, attempts = processed_updates.attempts + 1, updated_at = :now "
    "WHERE processed_updates.outcome = :failed AND processed_updates.attempts < :max_attempts "
    "RETURNING update_id"
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    done=UpdateOutcome.DONE.value,
    failed=UpdateOutcome.FAILED.value,
    max_attempts=MAX_ATTEMPTS,
)

_CLAIM_AND_SENDER = actors.sender_after(
    _CLAIM.columns(column("update_id", BigInteger)).cte("claim")
)
"""On PostgreSQL: the claim and the sender's row in one round trip (a data-modifying CTE)."""

_RECORD_FAILURE = text(
    "INSERT INTO processed_updates (update_id, outcome, attempts, created_at, updated_at) "
    "VALUES (:update_id, :failed, 1, :now, :now) "
    "ON CONFLICT (update_id) DO UPDATE "
    "SET attempts = processed_updates.attempts + 1, updated_at = :now "
    "WHERE processed_updates.outcome = :failed "
    "RETURNING attempts"
).bindparams(bindparam("now", type_=UTCDateTime()), failed=UpdateOutcome.FAILED.value)


async def claim(session: AsyncSession, *, update_id: int) -> bool:
    """Record the update as done inside the caller's unit of work.

    True when this update should run: it is new, or its earlier attempts rolled back and it has
    attempts left. False when it already committed (a redelivery) or was given up. On PostgreSQL
    a concurrent delivery of the same update waits here until the first one ends.
    """
    result = await session.execute(_CLAIM, {"update_id": update_id, "now": utcnow()})
    return result.first() is not None


async def claim_and_find_sender(
    session: AsyncSession, *, update_id: int, telegram_id: int
) -> tuple[bool, actors.SenderLookup | None]:
    """`claim`, and the sender's row for `actors.identify` read in the same statement.

    The second value is None where the database cannot run both at once (SQLite): `identify`
    then reads the sender itself.
    """
    if session.get_bind().dialect.name != "postgresql":
        return await claim(session, update_id=update_id), None
    params = {"update_id": update_id, "now": utcnow(), "telegram_id": telegram_id}
    row = (await session.execute(_CLAIM_AND_SENDER, params)).one()
    found = actors.SenderLookup(row[1:] if row[1] is not None else None)
    return row[0] > 0, found


async def record_failure(factory: SessionFactory, *, update_id: int) -> int:
    """Count a failed attempt in a transaction of its own; returns the attempts so far."""
    async with unit_of_work(factory) as session:
        result = await session.execute(_RECORD_FAILURE, {"update_id": update_id, "now": utcnow()})
        attempts = result.scalar()
    return int(attempts or 0)


async def forget_before(session: AsyncSession, *, cutoff: datetime) -> int:
    """Delete the records of updates last handled before `cutoff`; how many."""
    result = await session.execute(
        delete(ProcessedUpdate)
        .where(ProcessedUpdate.updated_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount
