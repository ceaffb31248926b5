"""Companies (the tenants): create with an owner and a trial, list mine, switch, rename."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Membership, Subscription, Trial, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Role, SubscriptionStatus
from teamtasks.services import audit, limits
from teamtasks.services.actors import Actor, Permission, actor_in, require
from teamtasks.services.errors import InvalidInput, NotFound
from teamtasks.services.validation import check_id, clean_line

TRIAL_DAYS = 14
NAME_MAX = 100


@dataclass(frozen=True)
class CompanyChoice:
    """A company the user belongs to, for the switch list."""

    company_id: int
    name: str
    role: Role
    is_active: bool


async def create_company(
    session: AsyncSession, *, user: User, name: str, now: datetime | None = None
) -> Company:
    """A new company owned by `user`, on a 14-day trial, made the user's active company."""
    clean_name = clean_line(name, max_length=NAME_MAX)
    now = now or utcnow()
    company = Company(name=clean_name)
    session.add(company)
    await session.flush()
    trial_end = now + timedelta(days=TRIAL_DAYS)
    plan = await limits.trial_plan(session)
    session.add_all(
        [
            Membership(company_id=company.id, user_id=user.id, role=Role.OWNER),
            Trial(company_id=company.id, plan_id=plan.id, started_at=now, ends_at=trial_end),
            Subscription(
                company_id=company.id,
                plan_id=plan.id,
                status=SubscriptionStatus.TRIALING,
                current_period_start=now,
                current_period_end=trial_end,
            ),
        ]
    )
    user.active_company_id = company.id
    audit.record(
        session,
        company_id=company.id,
        user_id=user.id,
        action="company.created",
        entity_type="company",
        entity_id=company.id,
        name=clean_name,
        trial_ends_at=trial_end,
    )
    await session.flush()
    return company


async def get_company(session: AsyncSession, *, actor: Actor) -> Company:
    """The actor's company."""
    company = await session.get(Company, actor.company_id)
    if company is None:
        raise NotFound("errors.not_found.company")
    return company


async def list_my_companies(session: AsyncSession, *, user: User) -> list[CompanyChoice]:
    """Every company the user belongs to, by name, marking the active one."""
    rows = await session.execute(
        select(Company.id, Company.name, Membership.role)
        .join(Membership, Membership.company_id == Company.id)
        .where(Membership.user_id == user.id)
        .order_by(Company.name, Company.id)
    )
    return [
        CompanyChoice(
            company_id=company_id,
            name=name,
            role=role,
            is_active=company_id == user.active_company_id,
        )
        for company_id, name, role in rows
    ]


async def switch_company(session: AsyncSession, *, user: User, company_id: int) -> Actor:
    """Make a company the user belongs to the active one; returns the user's Actor there."""
    check_id(company_id, NotFound("errors.not_found.company"))
    actor = await actor_in(session, user=user, company_id=company_id)
    if actor is None:
        raise NotFound("errors.not_found.company")
    user.active_company_id = company_id
    await session.flush()
    return actor


async def rename_company(session: AsyncSession, *, actor: Actor, name: str) -> Company:
    """Rename the actor's company (owners)."""
    require(actor, Permission.MANAGE_COMPANY)
    clean_name = clean_line(name, max_length=NAME_MAX)
    company = await get_company(session, actor=actor)
    if company.name == clean_name:
        return company
    audit.record_by(
        session,
        actor,
        "company.renamed",
        "company",
        company.id,
        before=company.name,
        after=clean_name,
    )
    company.name = clean_name
    await session.flush()
    return company


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """An IANA time zone name (e.g. Europe/Moscow) we know, or InvalidInput."""
    clean_name = name.strip()
    if clean_name not in _known_timezones():
        raise InvalidInput("errors.invalid.timezone")
    return clean_name


async def set_timezone(session: AsyncSession, *, actor: Actor, timezone: str) -> Company:
    """Set the company's time zone, used to read and show due dates (owners)."""
    require(actor, Permission.MANAGE_COMPANY)
    zone = check_timezone(timezone)
    company = await get_company(session, actor=actor)
    if company.timezone == zone:
        return company
    audit.record_by(
        session,
        actor,
        "company.timezone_changed",
        "company",
        company.id,
        before=company.timezone,
        after=zone,
    )
    company.timezone = zone
    await session.flush()
    return company
