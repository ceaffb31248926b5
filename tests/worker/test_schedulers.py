"""Two schedulers at once (as when a second one is started by mistake): every scheduled job is
kicked twice at the same tick, by two schedulers into two workers, and each notice still exists
once and reaches its person once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from taskiq import InMemoryBroker, TaskiqScheduler

from teamtasks.db import SessionFactory
from teamtasks.models import Notification
from teamtasks.worker import jobs
from teamtasks.worker.delivery import deliver
from teamtasks.worker.schedule import SettingsSchedule
from tests.conftest import REDIS_URL
from tests.worker.conftest import Clock, ContextFactory
from tests.worker.support import bot_texts
from tests.worker.test_billing_notifier import found
from tests.worker.test_reminders import add_task
from tgemulator import EmulatorServer
from tgemulator.client import Person

People = Callable[[int], Awaitable[list[Person]]]


async def test_two_schedulers_at_once_send_each_notice_once(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
    tmp_path: Path,
) -> None:
    anna, clara = await people(2)
    await found(committing_factory, clara, "Initech", clock)
    clock.advance(timedelta(days=2))
    acme = await found(committing_factory, anna, "Acme", clock)
    clock.advance(timedelta(days=12, minutes=1))  # 09:01 in Moscow
    await add_task(committing_factory, acme, anna, 1, clock.now + timedelta(minutes=30))
    # Now Initech's trial is over, Acme's ends in 2 days, Anna's task is due in half an hour
    # and it is the morning digest's time: four notices, each due once.

    settings = {"redis_url": REDIS_URL, "data_dir": tmp_path}
    schedulers = []
    for _ in range(2):  # each scheduler kicks into its own worker (both share the database)
        broker = InMemoryBroker(await_inplace=True)
        jobs.register(broker, await context(**settings))
        schedulers.append(TaskiqScheduler(broker, [SettingsSchedule((await context()).settings)]))
    ticks = [
        scheduler.on_ready(source, task)
        for scheduler in schedulers
        for source in scheduler.sources
        for task in await source.get_schedules()
    ]
    await asyncio.gather(*ticks)  # what one tick of both scheduler loops sends, all at once
    await deliver(await context())  # the next minute's delivery sweep

    async with committing_factory() as session:
        rows = await session.execute(
            select(Notification.kind, func.count()).group_by(Notification.kind)
        )
        kinds = dict(rows.tuples().all())
    assert kinds == {
        "billing.trial_expired": 1,
        "billing.ends_3d": 1,
        "task.due_soon": 1,
        "task.digest": 1,
    }
    assert sorted(text.split()[0] for text in bot_texts(telegram, anna.id)) == ["⏰", "⏳", "☀️"]
    (expired,) = bot_texts(telegram, clara.id)
    assert expired.startswith("🔒 The trial of Initech has ended.")
