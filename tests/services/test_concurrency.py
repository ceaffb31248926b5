"""Races, with real commits and several sessions at once: numbers, invite uses, the last owner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Company, Invite, Membership, Task, User
from teamtasks.models.enums import Role
from teamtasks.services import companies, invites, members, tasks
from teamtasks.services.actors import Actor, resolve_actor
from teamtasks.services.errors import InviteUsedUp, LastOwner
from tests.support import factories

T = TypeVar("T")

WORKERS = 8


async def _at_once(
    factory: SessionFactory, count: int, work: Callable[[AsyncSession, int], Awaitable[T]]
) -> list[T | BaseException]:
    """Run `work` in `count` units of work that start their critical step together."""
    barrier = asyncio.Barrier(count)

    async def one(index: int) -> T:
        async with unit_of_work(factory) as session:
            await session.execute(select(1))  # hold a connection before the start line
            await barrier.wait()
            return await work(session, index)

    return await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)


async def _setup(factory: SessionFactory) -> tuple[int, int]:
    """A committed company owned by Anna; returns (company id, Anna's user id)."""
    async with unit_of_work(factory) as session:
        anna = await factories.user(session)
        company = await companies.create_company(session, user=anna, name="Acme")
        return company.id, anna.id


async def _user(session: AsyncSession, user_id: int) -> User:
    return await session.get_one(User, user_id)


async def _actor(session: AsyncSession, user_id: int) -> Actor:
    actor = await resolve_actor(session, user=await _user(session, user_id))
    assert actor is not None
    return actor


async def test_concurrent_creates_never_share_a_number(committing_factory: SessionFactory) -> None:
    company_id, anna_id = await _setup(committing_factory)

    async def create(session: AsyncSession, index: int) -> int:
        actor = await _actor(session, anna_id)
        numbers = []
        for step in range(3):
            task = await tasks.create_task(session, actor=actor, title=f"task {index}.{step}")
            numbers.append(task.number)
        return numbers[-1]

    results = await _at_once(committing_factory, WORKERS, create)
    assert not [r for r in results if isinstance(r, BaseException)], results

    async with unit_of_work(committing_factory) as session:
        numbers = (
            await session.scalars(
                select(Task.number).where(Task.company_id == company_id).order_by(Task.number)
            )
        ).all()
    assert list(numbers) == list(range(1, 3 * WORKERS + 1))


async def test_concurrent_joins_never_pass_max_uses(committing_factory: SessionFactory) -> None:
    company_id, anna_id = await _setup(committing_factory)
    async with unit_of_work(committing_factory) as session:
        actor = await _actor(session, anna_id)
        invite = await invites.create_invite(session, actor=actor, max_uses=3)
        token = invite.token
        joiner_ids = [
            (await factories.user(session, first_name=f"Joiner {i}")).id for i in range(WORKERS)
        ]

    async def join(session: AsyncSession, index: int) -> bool:
        user = await _user(session, joiner_ids[index])
        return (await invites.join_by_token(session, user=user, token=token)).joined

    results = await _at_once(committing_factory, WORKERS, join)

    assert results.count(True) == 3
    assert all(isinstance(r, InviteUsedUp) for r in results if r is not True), results
    async with unit_of_work(committing_factory) as session:
        uses = await session.scalar(select(Invite.uses).where(Invite.token == token))
        joined = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.company_id == company_id)
        )
    assert (uses, joined) == (3, 1 + 3)


async def test_one_user_joining_twice_at_once_joins_once(
    committing_factory: SessionFactory,
) -> None:
    company_id, anna_id = await _setup(committing_factory)
    async with unit_of_work(committing_factory) as session:
        actor = await _actor(session, anna_id)
        token = (await invites.create_invite(session, actor=actor)).token
        dan_id = (await factories.user(session, first_name="Dan")).id

    async def join(session: AsyncSession, _index: int) -> bool:
        user = await _user(session, dan_id)
        return (await invites.join_by_token(session, user=user, token=token)).joined

    results = await _at_once(committing_factory, 2, join)

    assert sorted(results, key=str) == [False, True]
    async with unit_of_work(committing_factory) as session:
        uses = await session.scalar(select(Invite.uses).where(Invite.token == token))
        memberships = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.company_id == company_id, Membership.user_id == dan_id)
        )
    assert (uses, memberships) == (1, 1)


async def test_two_owners_stepping_down_at_once_leave_one_owner(
    committing_factory: SessionFactory,
) -> None:
    company_id, anna_id = await _setup(committing_factory)
    async with unit_of_work(committing_factory) as session:
        company = await session.get_one(Company, company_id)
        olga = await factories.member(session, company=company, role=Role.OWNER, first_name="Olga")
        owner_ids = [anna_id, olga.id]

    async def step_down(session: AsyncSession, index: int) -> None:
        actor = await _actor(session, owner_ids[index])
        await members.change_role(session, actor=actor, user_id=owner_ids[index], role=Role.MEMBER)

    results = await _at_once(committing_factory, 2, step_down)

    assert sorted(type(r).__name__ for r in results) == ["LastOwner", "NoneType"]
    assert any(isinstance(r, LastOwner) for r in results)
    async with unit_of_work(committing_factory) as session:
        owners = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.company_id == company_id, Membership.role == Role.OWNER)
        )
    assert owners == 1
