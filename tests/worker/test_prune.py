"""The daily pruning: records of handled updates are kept two days (Telegram redelivers an
update within 24 hours at most), then deleted, failed ones with their attempts included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import ProcessedUpdate
from teamtasks.models.enums import UpdateOutcome
from teamtasks.worker import maintenance
from tests.worker.conftest import Clock, ContextFactory


async def test_records_of_updates_older_than_two_days_are_deleted(
    context: ContextFactory, committing_factory: SessionFactory, clock: Clock
) -> None:
    ctx = await context()
    ages = {
        1: timedelta(days=30),
        2: timedelta(days=2, seconds=1),
        3: timedelta(days=2) - timedelta(seconds=1),
        4: timedelta(minutes=5),
    }
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            insert(ProcessedUpdate),
            [
                {
                    "update_id": update_id,
                    "outcome": UpdateOutcome.FAILED if update_id == 2 else UpdateOutcome.DONE,
                    "attempts": 2 if update_id == 2 else 1,
                    "created_at": clock.now - age - timedelta(hours=1),
                    "updated_at": clock.now - age,
                }
                for update_id, age in ages.items()
            ],
        )

    report = await maintenance.prune(ctx)
    again = await maintenance.prune(ctx)

    assert (report.updates, again.updates) == (2, 0)
    async with committing_factory() as session:
        kept = await session.scalars(select(ProcessedUpdate.update_id).order_by("update_id"))
        assert list(kept) == [3, 4]
