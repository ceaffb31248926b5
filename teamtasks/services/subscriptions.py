"""A paid invoice extends the company's subscription; the owners are told.

The extension rule (also in README, Billing):
- the same plan, or any plan bought during the trial: the paid period is added to the later of
  now and the current period's end (nothing paid or granted is lost by paying early);
- after the subscription expired: the paid period starts now;
- another plan while a paid period runs (active, past due in its grace, or canceled at the
  period's end): the unused paid time is credited at the plans' list prices in RUB, and the
  new period starts now:

      new_end = now + period + (period_end - now) * (old_price / old_days) / (new_price / new_days)

  so an upgrade turns 10 unused days of Team (990 ₽ / 30 days) into 10 * 990 / 2990 = 3.3 days
  of Business, a downgrade turns them into more days; nothing paid is lost either way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import gettext
from teamtasks.models import Company, Membership, Notification, Payment, Plan, Subscription, User
from teamtasks.models.enums import PaymentStatus, Role, SubscriptionStatus
from teamtasks.services import limits, standing
from teamtasks.services.money import format_amount
from teamtasks.services.notifications import fit
from teamtasks.services.users import language_of


async def extend(
    session: AsyncSession, *, company_id: int, plan: Plan, paid: timedelta, now: datetime
) -> Subscription:
    """Apply `paid` of `plan` to the company's subscription (locked first), making it active."""
    subscription = await session.scalar(
        select(Subscription).where(Subscription.company_id == company_id).with_for_update()
    )
    if subscription is None:
        subscription = Subscription(
            company_id=company_id,
            plan_id=plan.id,
            status=SubscriptionStatus.ACTIVE,
            current_period_start=now,
            current_period_end=now + paid,
        )
        session.add(subscription)
        return subscription
    current = await limits.plan_of(session, company_id=company_id)
    status, end = subscription.status, subscription.current_period_end
    continuing = status is not SubscriptionStatus.TRIALING and current.id == plan.id
    if not continuing or not standing.in_good_standing(status, end, subscription.grace_until, now):
        subscription.current_period_start = now
    subscription.current_period_end = extended_end(
        status=status, period_end=end, current=current, bought=plan, paid=paid, now=now
    )
    subscription.plan_id = plan.id
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.grace_until = None
    subscription.cancel_at_period_end = False
    return subscription


def extended_end(
    *,
    status: SubscriptionStatus,
    period_end: datetime,
    current: Plan,
    bought: Plan,
    paid: timedelta,
    now: datetime,
) -> datetime:
    """The period's new end after paying `paid` of `bought` (the rule in the module docstring)."""
    if status is SubscriptionStatus.EXPIRED:
        return now + paid
    if status is SubscriptionStatus.TRIALING or current.id == bought.id:
        return max(now, period_end) + paid
    unused = max(period_end - now, timedelta(0))
    return now + paid + converted(unused, source=current, target=bought)


def converted(span: timedelta, *, source: Plan, target: Plan) -> timedelta:
    """`span` of `source` as time of `target` of the same value, at their list prices per day
    (unchanged when either is free). Integer microseconds keep it exact, never rounded up."""
    if source.price_minor == 0 or target.price_minor == 0:
        return span
    value = (
        _microseconds(span)
        * source.price_minor
        * target.period_days
        // (source.period_days * target.price_minor)
    )
    return timedelta(microseconds=value)


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


async def tell_owners(
    session: AsyncSession,
    *,
    payment: Payment,
    plan: Plan,
    period_end: datetime,
    event_id: int,
    kind: str = "paid",
) -> None:
    """One outbox message per owner of the company: paid (or refunded: `kind`), the plan, and
    until when."""
    company = await session.get_one(Company, payment.company_id)
    owners = await session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == payment.company_id, Membership.role == Role.OWNER)
        .order_by(User.id)
    )
    until = period_end.astimezone(ZoneInfo(company.timezone)).strftime("%d.%m.%Y")
    for owner in owners:
        language = language_of(owner)
        text = gettext(
            language,
            f"billing.notify.{kind}",
            company=escape(company.name, quote=False),
            plan=escape(plan.name, quote=False),
            amount=format_amount(payment.amount_minor, payment.currency, language),
            until=until,
        )
        session.add(
            Notification(
                company_id=payment.company_id,
                user_id=owner.id,
                chat_id=owner.telegram_id,
                kind=f"billing.{kind}",
                dedupe_key=f"billing.{kind}:{event_id}:{owner.id}",
                text=fit(text),
            )
        )


async def take_back(
    session: AsyncSession, payment: Payment, bought: Plan, period: timedelta, now: datetime
) -> datetime | None:
    """Take back what a refunded `payment` bought: move the period's end back by `period` of
    `bought` in the current plan's days; expire now when that end has passed, cancel at it when
    no other payment paid for the time left. The new end, or None without a subscription."""
    subscription = await session.scalar(
        select(Subscription).where(Subscription.company_id == payment.company_id).with_for_update()
    )
    if subscription is None:
        return None
    current = await session.get_one(Plan, subscription.plan_id)
    end = subscription.current_period_end - converted(period, source=bought, target=current)
    if end <= now:
        subscription.status = SubscriptionStatus.EXPIRED
        end = now
    elif not await _paid_otherwise(session, payment):
        subscription.status = SubscriptionStatus.CANCELED
        subscription.cancel_at_period_end = True
    subscription.current_period_end = end
    subscription.grace_until = None  # any grace runs from the new end
    return end


async def _paid_otherwise(session: AsyncSession, payment: Payment) -> bool:
    """Whether another payment of the company went through (its time keeps its grace)."""
    other = await session.scalar(
        select(Payment.id)
        .where(
            Payment.company_id == payment.company_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.id != payment.id,
        )
        .limit(1)
    )
    return other is not None
