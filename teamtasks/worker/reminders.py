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
    digests = 0
    async with unit_of_work(ctx.factory) as session:
        zones = await reminders.morning_zones(session, now=now)
    for zone in zones:
        after = (0, 0)
        while True:
            async with unit_of_work(ctx.factory) as session:
                people = await reminders.undigested(session, zone=zone, now=now, after=after)
                digests += await reminders.write_digests(session, people, zone=zone, now=now)
            if len(people) < reminders.CHUNK:
                break
            after = (people[-1].company_id, people[-1].user_id)
    return Report(reminded, digests)
