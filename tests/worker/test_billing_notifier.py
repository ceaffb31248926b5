"""The billing notifier with the clock in the test's hands: owners told 3 days and 1 day before
an end, states moved once as time passes them, each move audited and told once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select, update

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, Notification, Subscription, User
from teamtasks.models.enums import SubscriptionStatus
from teamtasks.services import companies
from teamtasks.services.standing import GRACE
from teamtasks.worker import billing_notifier
from teamtasks.worker.delivery import deliver
from tests.worker.conftest import Clock, ContextFactory
from tests.worker.support import bot_texts
from tgemulator import EmulatorServer
from tgemulator.client import Person

People = Callable[[int], Awaitable[list[Person]]]


async def found(factory: SessionFactory, person: Person, name: str, clock: Clock) -> int:
    """A company this person founds now (on its 14-day trial); the company's id."""
    async with unit_of_work(factory) as session:
        owner = User(telegram_id=person.id, first_name=person.first_name, language_code="en")
        session.add(owner)
        await session.flush()
        company = await companies.create_company(session, user=owner, name=name, now=clock.now)
        return company.id


async def subscription(factory: SessionFactory, company_id: int) -> Subscription:
    async with factory() as session:
        row = await session.scalar(
            select(Subscription).where(Subscription.company_id == company_id)
        )
        assert row is not None
        return row


async def audited(factory: SessionFactory, company_id: int) -> list[str]:
    async with factory() as session:
        rows = await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.company_id == company_id, AuditLog.action.like("standing.%"))
            .order_by(AuditLog.id)
        )
        return list(rows)


async def notices(factory: SessionFactory) -> list[str]:
    async with factory() as session:
        return list(await session.scalars(select(Notification.kind).order_by(Notification.id)))


async def test_an_expired_trial_is_enforced_exactly_once_however_often_the_job_runs(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
) -> None:
    (anna,) = await people(1)
    acme = await found(committing_factory, anna, "Acme & Co", clock)
    worker = await context()
    clock.advance(timedelta(days=14, minutes=1))

    reports = await asyncio.gather(*(billing_notifier.run(worker) for _ in range(3)))
    reports.append(await billing_notifier.run(worker))

    assert sum(report.trial_expired for report in reports) == 1
    assert (await subscription(committing_factory, acme)).status is SubscriptionStatus.EXPIRED
    assert await audited(committing_factory, acme) == ["standing.trial_expired"]
    assert await notices(committing_factory) == ["billing.trial_expired"]
    await deliver(worker)
    await deliver(worker)
    (told,) = bot_texts(telegram, anna.id)
    assert told.startswith("🔒 The trial of Acme & Co has ended.")
    assert told.endswith("/buy")


async def test_owners_are_told_three_days_and_one_day_before_the_trial_ends(
    people: People, committing_factory: SessionFactory, context: ContextFactory, clock: Clock
) -> None:
    (anna,) = await people(1)
    acme = await found(committing_factory, anna, "Acme", clock)
    worker = await context()

    clock.advance(timedelta(days=10, hours=1))  # 3 days 23 hours left: not yet
    assert (await billing_notifier.run(worker)).warned == 0
    clock.advance(timedelta(days=1))  # 2 days 23 hours left
    assert (await billing_notifier.run(worker)).warned == 1
    assert (await billing_notifier.run(worker)).warned == 0
    clock.advance(timedelta(days=2))  # 23 hours left
    assert (await billing_notifier.run(worker)).warned == 1
    clock.advance(timedelta(hours=20))  # 3 hours left
    assert (await billing_notifier.run(worker)).warned == 0

    assert await notices(committing_factory) == ["billing.ends_3d", "billing.ends_1d"]
    assert (await subscription(committing_factory, acme)).status is SubscriptionStatus.TRIALING


async def test_a_paid_period_moves_to_past_due_with_grace_then_expires_and_canceled_ones_end(
    people: People, committing_factory: SessionFactory, context: ContextFactory, clock: Clock
) -> None:
    anna, boris = await people(2)
    acme = await found(committing_factory, anna, "Acme", clock)
    globex = await found(committing_factory, boris, "Globex", clock)
    period_end = clock.now + timedelta(days=30)
    async with unit_of_work(committing_factory) as session:
        for company_id, status in ((acme, "active"), (globex, "canceled")):
            await session.execute(
                update(Subscription)
                .where(Subscription.company_id == company_id)
                .values(status=SubscriptionStatus(status), current_period_end=period_end)
            )
    worker = await context()

    clock.now = period_end + timedelta(minutes=5)
    report = await billing_notifier.run(worker)
    assert (report.past_due, report.canceled_expired, report.expired) == (1, 1, 0)
    moved = await subscription(committing_factory, acme)
    assert (moved.status, moved.grace_until) == (SubscriptionStatus.PAST_DUE, period_end + GRACE)
    assert (await subscription(committing_factory, globex)).status is SubscriptionStatus.EXPIRED

    clock.now = period_end + GRACE - timedelta(minutes=1)
    assert (await billing_notifier.run(worker)).expired == 0
    clock.now = period_end + GRACE
    assert (await billing_notifier.run(worker)).expired == 1
    assert (await billing_notifier.run(worker)).expired == 0

    assert (await subscription(committing_factory, acme)).status is SubscriptionStatus.EXPIRED
    assert await audited(committing_factory, acme) == ["standing.past_due", "standing.expired"]
    assert await audited(committing_factory, globex) == ["standing.canceled_expired"]
    assert sorted(await notices(committing_factory)) == [
        "billing.canceled_expired",
        "billing.expired",
        "billing.past_due",
    ]
