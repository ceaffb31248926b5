"""Exactly-once handling of Telegram updates (DESIGN.md, Delivery guarantees)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import SessionFactory, dialect_insert, unit_of_work
from teamtasks.models import ProcessedUpdate
from teamtasks.models.base import utcnow
from teamtasks.models.enums import UpdateOutcome

MAX_ATTEMPTS = 3
"""After this many failed attempts a redelivered update is acknowledged and no longer run."""


async def claim(session: AsyncSession, *, update_id: int) -> bool:
    """Record the update as done inside the caller's unit of work.

    True when this update should run: it is new, or its earlier attempts rolled back and it has
    attempts left. False when it already committed (a redelivery) or was given up. On PostgreSQL
    a concurrent delivery of the same update waits here until the first one ends.
    """
    table = ProcessedUpdate.__table__
    insert = dialect_insert(session, table).values(
        update_id=update_id, outcome=UpdateOutcome.DONE.value, attempts=1
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.update_id],
        set_={
            "outcome": UpdateOutcome.DONE.value,
            "attempts": table.c.attempts + 1,
            "updated_at": utcnow(),
        },
        where=(table.c.outcome == UpdateOutcome.FAILED.value) & (table.c.attempts < MAX_ATTEMPTS),
    ).returning(table.c.update_id)
    return (await session.execute(statement)).first() is not None


async def record_failure(factory: SessionFactory, *, update_id: int) -> int:
    """Count a failed attempt in a transaction of its own; returns the attempts so far."""
    async with unit_of_work(factory) as session:
        table = ProcessedUpdate.__table__
        insert = dialect_insert(session, table).values(
            update_id=update_id, outcome=UpdateOutcome.FAILED.value, attempts=1
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.update_id],
            set_={"attempts": table.c.attempts + 1, "updated_at": utcnow()},
            where=table.c.outcome == UpdateOutcome.FAILED.value,
        ).returning(table.c.attempts)
        attempts = (await session.execute(statement)).scalar()
    return int(attempts or 0)
