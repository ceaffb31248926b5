"""Rows for tests, with sensible defaults; each returns the flushed ORM object."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Invite, Invoice, Membership, Plan, Project, Task, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import PaymentProvider, Role

_ids = itertools.count(1_000_000)


async def user(session: AsyncSession, *, first_name: str = "Anna", **fields: object) -> User:
    row = User(telegram_id=next(_ids), first_name=first_name, **fields)
    session.add(row)
    await session.flush()
    return row


async def company(
    session: AsyncSession, *, name: str = "Acme", owner: User | None = None
) -> Company:
    row = Company(name=name)
    session.add(row)
    await session.flush()
    if owner is not None:
        session.add(Membership(company_id=row.id, user_id=owner.id, role=Role.OWNER))
        await session.flush()
    return row


async def project(session: AsyncSession, *, company: Company, name: str = "Website") -> Project:
    row = Project(company_id=company.id, name=name)
    session.add(row)
    await session.flush()
    return row


async def task(
    session: AsyncSession,
    *,
    company: Company,
    number: int,
    title: str = "Fix the login page",
    project: Project | None = None,
) -> Task:
    row = Task(
        company_id=company.id,
        number=number,
        title=title,
        project_id=project.id if project else None,
    )
    session.add(row)
    await session.flush()
    return row


async def plan(session: AsyncSession, *, code: str | None = None) -> Plan:
    """A plan of its own (the migrations seed "team" and "business")."""
    code = code or f"plan{next(_ids)}"
    row = Plan(
        code=code,
        name=code.title(),
        price_minor=99_000,
        currency="RUB",
        price_stars=500,
        period_days=30,
        max_members=10,
        max_projects=20,
        max_storage_bytes=10 * 2**30,
    )
    session.add(row)
    await session.flush()
    return row


async def invoice(session: AsyncSession, *, company: Company, plan: Plan) -> Invoice:
    row = Invoice(
        company_id=company.id,
        plan_id=plan.id,
        provider=PaymentProvider.SANDBOX,
        amount_minor=plan.price_minor,
        currency=plan.currency,
        period_days=plan.period_days,
        expires_at=utcnow() + timedelta(days=1),
    )
    session.add(row)
    await session.flush()
    return row


async def member(
    session: AsyncSession,
    *,
    company: Company,
    role: Role = Role.MEMBER,
    first_name: str = "Bob",
    **fields: object,
) -> User:
    """A new user who belongs to `company` with `role` and has it as the active company."""
    row = await user(session, first_name=first_name, active_company_id=company.id, **fields)
    session.add(Membership(company_id=company.id, user_id=row.id, role=role))
    await session.flush()
    return row


async def invite(
    session: AsyncSession,
    *,
    company: Company,
    role: Role = Role.MEMBER,
    token: str | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    uses: int = 0,
    revoked_at: datetime | None = None,
) -> Invite:
    row = Invite(
        company_id=company.id,
        token=token or f"token{next(_ids)}abcdefghijkl",
        role=role,
        expires_at=expires_at or utcnow() + timedelta(days=7),
        max_uses=max_uses,
        uses=uses,
        revoked_at=revoked_at,
    )
    session.add(row)
    await session.flush()
    return row
