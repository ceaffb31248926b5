"""The reminders job: the hour-before reminders and the morning digests (services/reminders.py)."""

from __future__ import annotations

from dataclasses import dataclass

from teamtasks.db import unit_of_work
from teamtasks.services import reminders
from teamtasks.worker.context import WorkerContext


@dataclass
class Report:
    reminded: int = 0
    digests: int = 0


async def run(ctx: WorkerContext) -> Report:
    now = ctx.clock()
    async with unit_of_work(ctx.factory) as session:
        reminded = await reminders.remind_due_soon(session, now=now)
    async with unit_of_work(ctx.factory) as session:
        digests = await reminders.morning_digests(session, now=now)
    return Report(reminded, digests)
