"""The plan's limits (members, projects, storage), counted and enforced where things are made.

A company's plan is its subscription's; the trial has the Team plan's limits (a subscription
without a plan, made before plans existed, counts as Team too). A check that may be raced by a
concurrent one in the same company (two joins, two new projects) locks the company's
subscription row first, so the count it compares is the one it adds to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ColumnExpressionArgument, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Membership, Plan, Project, Subscription
from teamtasks.services.errors import NotFound, PlanLimitReached

TRIAL_PLAN = "team"
"""The plan whose limits a trial has (seeded by migration 0002)."""


@dataclass(frozen=True)
class Usage:
    members: int
    projects: int
    """Projects not archived: archiving one frees its place."""
    storage_bytes: int


async def plan_of(session: AsyncSession, *, company_id: int, lock: bool = False) -> Plan:
    """The company's plan; with `lock`, its subscription row is locked until the commit."""
    statement = (
        select(Plan)
        .join(Subscription, Subscription.plan_id == Plan.id)
        .where(Subscription.company_id == company_id)
    )
    if lock:
        statement = statement.with_for_update(of=Subscription)
    plan = await session.scalar(statement)
    if plan is None:
        plan = await trial_plan(session)
    return plan


async def trial_plan(session: AsyncSession) -> Plan:
    """The plan a new company's trial has."""
    plan = await session.scalar(select(Plan).where(Plan.code == TRIAL_PLAN))
    if plan is None:
        raise plan_not_found()
    return plan


def plan_not_found() -> NotFound:
    return NotFound("errors.not_found.plan")


async def usage(session: AsyncSession, *, company_id: int) -> Usage:
    """What the company uses of its plan's limits, in one query."""
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.company_id == company_id)
        .scalar_subquery()
    )
    projects = (
        select(func.count())
        .select_from(Project)
        .where(Project.company_id == company_id, Project.archived_at.is_(None))
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(members, projects, Company.storage_used_bytes).where(Company.id == company_id)
        )
    ).one()
    return Usage(members=row[0], projects=row[1], storage_bytes=row[2])


async def check_member_limit(session: AsyncSession, *, company_id: int) -> None:
    """Refuse one more member when the plan's are all taken."""
    plan = await plan_of(session, company_id=company_id, lock=True)
    count = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.company_id == company_id)
    )
    if (count or 0) >= plan.max_members:
        raise PlanLimitReached("errors.billing.limit.members", max=plan.max_members)


async def check_project_limit(session: AsyncSession, *, company_id: int) -> None:
    """Refuse one more open project when the plan's are all taken."""
    plan = await plan_of(session, company_id=company_id, lock=True)
    count = await session.scalar(
        select(func.count())
        .select_from(Project)
        .where(Project.company_id == company_id, Project.archived_at.is_(None))
    )
    if (count or 0) >= plan.max_projects:
        raise PlanLimitReached("errors.billing.limit.projects", max=plan.max_projects)


async def storage_quota(session: AsyncSession, *, company_id: int) -> int:
    """The bytes of files the company's plan allows."""
    quota = await session.scalar(select(storage_quota_of(literal(company_id))))
    if quota is None:
        raise plan_not_found()
    return quota


def storage_quota_of(company_id: ColumnExpressionArgument[int]) -> ColumnElement[int | None]:
    """`storage_quota` as SQL, to read in the same statement as other columns: the plan's, else
    the trial plan's (NULL only when there is no trial plan)."""
    plan = (
        select(Plan.max_storage_bytes)
        .join(Subscription, Subscription.plan_id == Plan.id)
        .where(Subscription.company_id == company_id)
        .scalar_subquery()
    )
    trial = select(Plan.max_storage_bytes).where(Plan.code == TRIAL_PLAN).scalar_subquery()
    return func.coalesce(plan, trial)
