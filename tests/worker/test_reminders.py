"""Task reminders with the clock in the test's hands: an hour before the due time, once per task
and due date; the 09:00 digest of today's and overdue tasks, in the company's time zone, read
once a morning and written in chunks of people."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Membership, Notification, Task, User
from teamtasks.models.enums import Role, TaskStatus
from teamtasks.services import reminders as service
from teamtasks.worker import reminders
from teamtasks.worker.delivery import deliver
from tests.worker.conftest import Clock, ContextFactory
from tests.worker.support import bot_texts
from tests.worker.test_billing_notifier import found
from tgemulator import EmulatorServer
from tgemulator.client import Person

People = Callable[[int], Awaitable[list[Person]]]


async def add_task(
    factory: SessionFactory,
    company_id: int,
    person: Person,
    number: int,
    due_at: datetime,
    status: TaskStatus = TaskStatus.TODO,
) -> int:
    async with unit_of_work(factory) as session:
        assignee = await session.scalar(select(User).where(User.telegram_id == person.id))
        assert assignee is not None
        task = Task(
            company_id=company_id,
            number=number,
            title=f"Task <{number}>",
            assignee_id=assignee.id,
            due_at=due_at,
            status=status,
        )
        session.add(task)
        await session.flush()
        return task.id


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def task_reads(sent: list[str]) -> list[str]:
    """The statements that read tasks themselves (their titles), not only test for some."""
    return [statement for statement in sent if "tasks.title" in statement]


async def kinds(factory: SessionFactory) -> list[str]:
    async with factory() as session:
        return list(await session.scalars(select(Notification.kind).order_by(Notification.id)))


async def test_the_assignee_is_reminded_an_hour_before_once_per_due_date(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
) -> None:
    (anna,) = await people(1)
    clock.now = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 16:00 in Moscow: no digest now
    acme = await found(committing_factory, anna, "Acme", clock)
    task_id = await add_task(committing_factory, acme, anna, 1, clock.now + timedelta(minutes=61))
    await add_task(
        committing_factory, acme, anna, 2, clock.now + timedelta(minutes=30), TaskStatus.DONE
    )
    worker = await context()

    assert (await reminders.run(worker)).reminded == 0
    clock.advance(timedelta(minutes=2))
    assert (await reminders.run(worker)).reminded == 1
    assert (await reminders.run(worker)).reminded == 0
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            update(Task).where(Task.id == task_id).values(due_at=clock.now + timedelta(minutes=90))
        )
    clock.advance(timedelta(minutes=31))
    assert (await reminders.run(worker)).reminded == 1, "a new due date is reminded again"

    assert await kinds(committing_factory) == ["task.due_soon", "task.due_soon"]
    await deliver(worker)
    first, second = bot_texts(telegram, anna.id)
    assert first.startswith("⏰ Due in an hour\nAcme · #1 Task <1>\nDue: Tue, 1 Dec 2026, 17:01")
    assert "Due: Tue, 1 Dec 2026, 17:32 MSK" in second


async def test_the_morning_digest_lists_todays_and_overdue_tasks_at_nine_in_the_companys_zone(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
) -> None:
    anna, boris = await people(2)
    clock.now = datetime(2026, 12, 1, 5, 59, tzinfo=UTC)  # 08:59 in Moscow
    acme = await found(committing_factory, anna, "Acme", clock)
    globex = await found(committing_factory, boris, "Globex", clock)
    today = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    await add_task(committing_factory, acme, anna, 1, today)
    await add_task(committing_factory, acme, anna, 2, today - timedelta(days=2))
    await add_task(committing_factory, acme, anna, 3, today + timedelta(days=1))
    await add_task(committing_factory, acme, anna, 4, today, TaskStatus.DONE)
    await add_task(committing_factory, globex, boris, 1, today)
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            update(User).where(User.telegram_id == boris.id).values(morning_digest=False)
        )
    worker = await context()

    assert (await reminders.run(worker)).digests == 0
    clock.advance(timedelta(minutes=1))
    assert (await reminders.run(worker)).digests == 1
    clock.advance(timedelta(hours=2))
    assert (await reminders.run(worker)).digests == 0, "one a day"
    clock.advance(timedelta(days=1))
    assert (await reminders.run(worker)).digests == 1, "and the next day again"

    await deliver(worker)
    digest = bot_texts(telegram, anna.id)[0]
    assert digest.splitlines() == [
        "☀️ Good morning! Your tasks for today in Acme:",
        "• ⚠️ #2 Task <2> — overdue (Sun, 29 Nov 2026, 18:00 MSK)",
        "• #1 Task <1> — Tue, 1 Dec 2026, 18:00 MSK",
    ]
    assert bot_texts(telegram, boris.id) == []


async def test_a_run_after_the_mornings_digests_reads_no_tasks_for_them(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
    engine: AsyncEngine,
) -> None:
    (anna,) = await people(1)
    clock.now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    acme = await found(committing_factory, anna, "Acme", clock)
    await add_task(committing_factory, acme, anna, 1, datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    worker = await context()

    with statements(engine) as first:
        assert (await reminders.run(worker)).digests == 1
    clock.advance(timedelta(minutes=1))
    with statements(engine) as second:
        assert (await reminders.run(worker)).digests == 0

    hour_before, digest = task_reads(first)
    assert task_reads(second) == [hour_before], "only the hour-before reminders read tasks"
    assert digest not in second


async def test_a_company_with_many_people_gets_its_digests_in_chunks(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "CHUNK", 2)
    monkeypatch.setattr(service, "DIGEST_TASKS", 2)
    (anna,) = await people(1)  # the owner, with no tasks: no digest
    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    acme = await found(committing_factory, anna, "Acme", clock)
    today = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    async with unit_of_work(committing_factory) as session:
        for n in range(1, 7):
            user = User(telegram_id=9000 + n, first_name=f"P{n}", language_code="en")
            user.morning_digest = n != 6
            session.add(user)
            await session.flush()
            session.add(Membership(company_id=acme, user_id=user.id, role=Role.MEMBER))
            for k in range(3 if n == 1 else 1):
                session.add(
                    Task(
                        company_id=acme,
                        number=10 * n + k,
                        title=f"Task {n}.{k}",
                        assignee_id=user.id,
                        due_at=today + timedelta(minutes=k),
                    )
                )
    worker = await context()

    with statements(engine) as sent:
        assert (await reminders.run(worker)).digests == 5

    assert len(task_reads(sent)) == 1 + 3, "the hour-before reminders, then 2 + 2 + 1 people"
    async with committing_factory() as session:
        texts = dict(
            (
                await session.execute(
                    select(Notification.chat_id, Notification.text).where(
                        Notification.kind == "task.digest"
                    )
                )
            )
            .tuples()
            .all()
        )
    assert sorted(texts) == [9001, 9002, 9003, 9004, 9005]
    assert texts[9001].splitlines() == [
        "☀️ Good morning! Your tasks for today in Acme:",
        "• #10 Task 1.0 — Tue, 1 Dec 2026, 18:00 MSK",
        "• #11 Task 1.1 — Tue, 1 Dec 2026, 18:01 MSK",
        "… and 1 more: /my",
    ]
    assert texts[9005].splitlines()[1:] == ["• #50 Task 5.0 — Tue, 1 Dec 2026, 18:00 MSK"]
    assert (await reminders.run(worker)).digests == 0
