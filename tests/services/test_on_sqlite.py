"""The same services on SQLite, the demo's embedded database: the whole story once, end to end."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks import migrations
from teamtasks.config import TELEGRAM_DOWNLOAD_LIMIT, Settings
from teamtasks.db import SessionFactory, create_engine, create_session_factory, unit_of_work
from teamtasks.models import (
    AuditLog,
    Company,
    File,
    Notification,
    ProcessedUpdate,
    Subscription,
    User,
)
from teamtasks.models.enums import SubscriptionStatus, TaskStatus, UpdateOutcome
from teamtasks.services import (
    comments,
    companies,
    files,
    invites,
    limits,
    members,
    projects,
    task_lists,
    tasks,
    updates,
)
from teamtasks.services.actors import Actor, resolve_actor
from teamtasks.services.due_dates import parse_due
from teamtasks.services.errors import InviteUsedUp, NotFound
from teamtasks.services.files import QuotaFull
from teamtasks.services.standing import GRACE
from teamtasks.storage import staged_objects
from teamtasks.storage.local import LocalStorage
from teamtasks.worker import billing_notifier
from teamtasks.worker.process import worker_context
from tests.services.helpers import NOW
from tests.support import factories


async def test_the_story_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'teamtasks.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(Settings(database_url=url))
    factory = create_session_factory(engine)
    try:
        async with unit_of_work(factory) as session:
            anna = await factories.user(session, first_name="Anna")
            bob = await factories.user(session, first_name="Bob")
            eve = await factories.user(session, first_name="Eve")
            await companies.create_company(session, user=anna, name="Acme")
            owner = await resolve_actor(session, user=anna)
            assert owner is not None
            invite = await invites.create_invite(session, actor=owner, max_uses=1)
            assert (await invites.join_by_token(session, user=bob, token=invite.token)).joined
            assert not (await invites.join_by_token(session, user=bob, token=invite.token)).joined
            with pytest.raises(InviteUsedUp):
                await invites.join_by_token(session, user=eve, token=invite.token)
            project = await projects.create_project(session, actor=owner, name="Website")
            task = await tasks.create_task(
                session, actor=owner, title="Fix 100% of the login", project_id=project.id
            )
            second = await tasks.create_task(session, actor=owner, title="Second")
            assert (task.number, second.number) == (1, 2)
            await tasks.assign_task(session, actor=owner, number=1, assignee_id=bob.id)
            due = parse_due("завтра 18:00", timezone=owner.timezone, now=NOW)
            await tasks.set_due(session, actor=owner, number=1, due_at=due, now=NOW)

        async with unit_of_work(factory) as session:
            bob_actor = await resolve_actor(session, user=await session.get_one(User, bob.id))
            assert bob_actor is not None
            mine = await task_lists.list_my_tasks(session, actor=bob_actor)
            assert [t.number for t in mine.items] == [1]
            found = await task_lists.search_tasks(session, actor=bob_actor, query="100%")
            assert [t.number for t in found.items] == [1]
            overdue = await task_lists.list_overdue_tasks(
                session, actor=bob_actor, now=due + timedelta(minutes=1)
            )
            assert [t.number for t in overdue.items] == [1]
            await comments.add_comment(session, actor=bob_actor, number=1, text="On it")
            await tasks.set_status(session, actor=bob_actor, number=1, status=TaskStatus.DONE)
            with pytest.raises(NotFound):
                await tasks.get_task(session, actor=bob_actor, number=2**31)
            await members.leave_company(session, actor=bob_actor)

        async with unit_of_work(factory) as session:
            told = await session.scalar(select(func.count()).select_from(Notification))
            actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
        assert told == 3  # Bob assigned; Anna told of the comment and of the status
        assert actions[0] == "company.created"
        assert actions[-1] == "member.left"
    finally:
        await engine.dispose()


async def test_updates_are_claimed_once_on_sqlite(tmp_path: Path) -> None:
    """The claim is hand-written SQL: SQLite must read it as PostgreSQL does."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'teamtasks.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(Settings(database_url=url))
    factory = create_session_factory(engine)

    async def claim(update_id: int) -> bool:
        async with unit_of_work(factory) as session:
            return await updates.claim(session, update_id=update_id)

    try:
        assert await claim(1)
        assert not await claim(1)  # it committed: a redelivery is skipped
        assert await updates.record_failure(factory, update_id=2) == 1
        assert await claim(2)  # it failed once: it runs again
        for attempt in range(1, updates.MAX_ATTEMPTS + 1):
            assert await updates.record_failure(factory, update_id=3) == attempt
        assert not await claim(3)  # given up

        async with factory() as session:
            retried = await session.get_one(ProcessedUpdate, 2)
        assert (retried.outcome, retried.attempts) == (UpdateOutcome.DONE, 2)
        assert retried.updated_at >= retried.created_at
        assert retried.updated_at.tzinfo is not None
    finally:
        await engine.dispose()


async def test_files_are_recorded_and_counted_on_sqlite(tmp_path: Path) -> None:
    """On PostgreSQL the count and the rows are one statement; SQLite takes them in turn."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'teamtasks.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(Settings(database_url=url))
    factory = create_session_factory(engine)
    storage = LocalStorage(root=tmp_path / "files", secret=b"s" * 32, base_url="http://x.test")
    pdf = b"%PDF-1.7\n" + os.urandom(5000)

    async def one_chunk() -> AsyncIterator[bytes]:
        yield pdf

    async def attach(session: AsyncSession, actor: Actor, chunks: AsyncIterator[bytes]) -> File:
        async with staged_objects(storage) as staged:
            return await files.attach_file(
                session,
                staged=staged,
                actor=actor,
                number=1,
                file_name="scan.pdf",
                size=len(pdf),
                chunks=chunks,
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )

    try:
        async with unit_of_work(factory) as session:
            anna = await factories.user(session, first_name="Anna")
            company = await companies.create_company(session, user=anna, name="Acme")
            owner = await resolve_actor(session, user=anna)
            assert owner is not None
            await tasks.create_task(session, actor=owner, title="Scan the contract")
            file = await attach(session, owner, one_chunk())
        assert file.sha256 == hashlib.sha256(pdf).hexdigest()
        assert file.size_bytes == len(pdf)
        assert (tmp_path / "files" / file.storage_key).read_bytes() == pdf

        quota = await _quota(factory, company.id)

        async def taken_meanwhile() -> AsyncIterator[bytes]:
            yield pdf
            # Another upload of the company counts its bytes while this one streams.
            await session.execute(
                update(Company)
                .where(Company.id == company.id)
                .values(storage_used_bytes=quota - 10)
            )

        async with unit_of_work(factory) as session:
            with pytest.raises(QuotaFull):
                await attach(session, owner, taken_meanwhile())
            # In the same transaction: the other upload's count stands, nothing else was written.
            rows = (await session.scalars(select(File.storage_key))).all()
            used = await session.scalar(
                select(Company.storage_used_bytes).where(Company.id == company.id)
            )
            attached = await session.scalar(
                select(func.count()).where(AuditLog.action == "file.attached")
            )
        assert rows == [file.storage_key]
        assert [info.key async for info in storage.scan(prefix="company_")] == rows
        assert (used, attached) == (quota - 10, 1)
    finally:
        await engine.dispose()


async def _quota(factory: SessionFactory, company_id: int) -> int:
    async with factory() as session:
        return await limits.storage_quota(session, company_id=company_id)


async def test_the_billing_sweep_on_sqlite(tmp_path: Path) -> None:
    """Its chunked writes are Core statements, and past_due's grace is SQL of each dialect."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'teamtasks.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    settings = Settings(database_url=url, bot_token="1000000003:sqlite-test-token-never-used")
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        async with unit_of_work(factory) as session:
            anna = await factories.user(session, first_name="Anna")
            bob = await factories.user(session, first_name="Bob")
            trial = await companies.create_company(session, user=anna, name="Acme", now=NOW)
            paid = await companies.create_company(session, user=bob, name="Globex", now=NOW)
            await session.execute(
                update(Subscription)
                .where(Subscription.company_id == paid.id)
                .values(status=SubscriptionStatus.ACTIVE)
            )
        later = NOW + timedelta(days=companies.TRIAL_DAYS, hours=1)
        async with worker_context(settings, factory, clock=lambda: later) as ctx:
            report = await billing_notifier.run(ctx)
            again = await billing_notifier.run(ctx)

        assert (report.trial_expired, report.past_due) == (1, 1)
        assert (again.trial_expired, again.past_due, again.warned) == (0, 0, 0)
        async with factory() as session:
            rows = await session.execute(select(Subscription.company_id, Subscription.status))
            states = dict(rows.tuples().all())
            grace = await session.scalar(
                select(Subscription.grace_until).where(Subscription.company_id == paid.id)
            )
            notices = (await session.scalars(select(Notification.kind))).all()
            audited = (
                await session.scalars(
                    select(AuditLog.action).where(AuditLog.action.like("standing.%"))
                )
            ).all()
        assert states == {
            trial.id: SubscriptionStatus.EXPIRED,
            paid.id: SubscriptionStatus.PAST_DUE,
        }
        assert grace == NOW + timedelta(days=companies.TRIAL_DAYS) + GRACE
        assert sorted(notices) == ["billing.past_due", "billing.trial_expired"]
        assert sorted(audited) == ["standing.past_due", "standing.trial_expired"]
    finally:
        await engine.dispose()
