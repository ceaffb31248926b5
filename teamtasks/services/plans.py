"""The plans on sale, their prices per provider, and what `/billing` shows of a company's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Invoice, Plan, Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import PaymentProvider, SubscriptionStatus
from teamtasks.services import limits, standing
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.errors import NotFound
from teamtasks.services.money import STARS

RECENT_INVOICES = 5


@dataclass(frozen=True)
class InvoiceLine:
    invoice: Invoice
    plan_name: str


@dataclass(frozen=True)
class Summary:
    """What `/billing` shows: the plan, the state the clock implies, limits used, invoices."""

    plan: Plan
    status: SubscriptionStatus
    period_end: datetime
    good_until: datetime
    """The last moment of good standing (period end, plus the grace for a paid period)."""
    in_good_standing: bool
    usage: limits.Usage
    invoices: Sequence[InvoiceLine]
    """The latest invoices, for owners (empty for everyone else)."""


async def list_plans(session: AsyncSession) -> list[Plan]:
    """The plans on sale, cheapest first."""
    return list(
        await session.scalars(
            select(Plan).where(Plan.is_active.is_(True)).order_by(Plan.price_minor, Plan.id)
        )
    )


async def get_plan(session: AsyncSession, *, code: str) -> Plan:
    """A plan on sale by its code; NotFound for any other."""
    plan = await session.scalar(select(Plan).where(Plan.code == code, Plan.is_active.is_(True)))
    if plan is None:
        raise NotFound("errors.not_found.plan")
    return plan


def price_of(plan: Plan, provider: PaymentProvider) -> tuple[int, str]:
    """The plan's price for one period through this provider: Stars in XTR, others in RUB."""
    if provider is PaymentProvider.STARS:
        return plan.price_stars, STARS
    return plan.price_minor, plan.currency


async def summary(session: AsyncSession, *, actor: Actor, now: datetime | None = None) -> Summary:
    """The company's plan, state, period end, limits used and (for owners) latest invoices."""
    now = now or utcnow()
    subscription = await session.scalar(
        select(Subscription).where(Subscription.company_id == actor.company_id)
    )
    if subscription is None:
        raise NotFound("errors.not_found.subscription")
    plan = await limits.plan_of(session, company_id=actor.company_id)
    status, end, grace = (
        subscription.status,
        subscription.current_period_end,
        subscription.grace_until,
    )
    invoices: list[InvoiceLine] = []
    if actor.can(Permission.MANAGE_BILLING):
        rows = await session.execute(
            select(Invoice, Plan.name)
            .join(Plan, Plan.id == Invoice.plan_id)
            .where(Invoice.company_id == actor.company_id)
            .order_by(Invoice.created_at.desc(), Invoice.id.desc())
            .limit(RECENT_INVOICES)
        )
        invoices = [InvoiceLine(invoice, name) for invoice, name in rows]
    return Summary(
        plan=plan,
        status=standing.effective_status(status, end, grace, now),
        period_end=end,
        good_until=standing.grace_end(status, end, grace),
        in_good_standing=standing.in_good_standing(status, end, grace, now),
        usage=await limits.usage(session, company_id=actor.company_id),
        invoices=invoices,
    )
