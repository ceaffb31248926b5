"""Telegram Stars the bot owes back, asked of Telegram until it takes them.

A Stars charge that paid for nothing (a second charge of an invoice already paid, a payment no
invoice matches) is owed to its payer. The debt is written in the unit of work that settles the
charge, so it is committed with the charge's event, and the bot asks for the refund at once.
When Telegram does not take it then (unreachable, an error of its own, flood control) the
worker asks again (`next_due`), pausing longer after each failure (and at least as long as
flood control asks), until Telegram takes it or refuses it for good (a Bad Request, such as a
charge it does not know): that one is logged as an error and counted
(teamtasks_stars_refunds_total{outcome="refused"}) for an operator, never asked again. A charge
refunded before counts as given back (teamtasks/billing/stars.py), so asking twice is harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing.stars import RefundAttempt
from teamtasks.models import OwedRefund
from teamtasks.models.base import utcnow

log = structlog.stdlib.get_logger("teamtasks.refunds")

FIRST_PAUSE = timedelta(minutes=1)
"""The pause after a refund's first failed attempt; it doubles after each one that follows."""
LONGEST_PAUSE = timedelta(hours=6)


class Outcome(StrEnum):
    REFUNDED = "refunded"
    DEFERRED = "deferred"
    """Telegram did not take it now: asked again later."""
    REFUSED = "refused"
    """Telegram refused it for good: left for an operator."""


async def owe(
    session: AsyncSession,
    *,
    charge_id: str,
    payer_id: int,
    amount: int,
    reason: str,
    now: datetime | None = None,
) -> OwedRefund:
    """Record that the stars of this charge go back to its payer, due at once."""
    owed = OwedRefund(
        charge_id=charge_id,
        payer_id=payer_id,
        amount=amount,
        reason=reason[:64],
        next_attempt_at=now or utcnow(),
    )
    session.add(owed)
    await session.flush()
    return owed


async def next_due(session: AsyncSession, *, now: datetime) -> OwedRefund | None:
    """The refund asked of Telegram least recently among those due, locked until the caller's
    unit of work ends (another worker skips it), or None."""
    owed: OwedRefund | None = await session.scalar(
        select(OwedRefund)
        .where(
            OwedRefund.refunded_at.is_(None),
            OwedRefund.failed_at.is_(None),
            OwedRefund.next_attempt_at <= now,
        )
        .order_by(OwedRefund.next_attempt_at, OwedRefund.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return owed


def record(owed: OwedRefund, attempt: RefundAttempt, *, now: datetime) -> Outcome:
    """Write down what Telegram answered (the caller commits), and log it."""
    owed.attempts += 1
    owed.last_error = attempt.error
    fields = {
        "charge": owed.charge_id,
        "payer_id": owed.payer_id,
        "amount": owed.amount,
        "reason": owed.reason,
        "attempts": owed.attempts,
    }
    if attempt.given_back:
        owed.refunded_at = now
        log.info("stars_refunded", **fields)
        return Outcome.REFUNDED
    if attempt.final:
        owed.failed_at = now
        log.error("stars_refund_refused", error=attempt.error, **fields)
        return Outcome.REFUSED
    pause = max(pause_after(owed.attempts), timedelta(seconds=attempt.retry_after or 0))
    owed.next_attempt_at = now + pause
    log.warning("stars_refund_deferred", error=attempt.error, **fields)
    return Outcome.DEFERRED


def pause_after(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed attempts before asking again."""
    return min(FIRST_PAUSE * (1 << min(attempts - 1, 20)), LONGEST_PAUSE)


async def unsettled(session: AsyncSession) -> list[OwedRefund]:
    """The refunds not given back yet, refused ones included, oldest first."""
    rows = await session.scalars(
        select(OwedRefund)
        .where(OwedRefund.refunded_at.is_(None))
        .order_by(OwedRefund.created_at, OwedRefund.id)
    )
    return list(rows)


async def retry_refused(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Make the refunds Telegram refused for good due again (an operator fixed the cause);
    how many."""
    retried = await session.execute(
        update(OwedRefund)
        .where(OwedRefund.refunded_at.is_(None), OwedRefund.failed_at.is_not(None))
        .values(failed_at=None, next_attempt_at=now or utcnow())
        .returning(OwedRefund.id)
    )
    return len(retried.all())


def describe(owed: OwedRefund) -> str:
    """One line for an operator."""
    head = f"{owed.charge_id}: {owed.amount} XTR to user {owed.payer_id} ({owed.reason})"
    if owed.failed_at is not None:
        return f"{head}, refused {owed.failed_at:%Y-%m-%d %H:%M} UTC: {owed.last_error}"
    error = f", last error: {owed.last_error}" if owed.last_error else ""
    return f"{head}, asked {owed.attempts}x, next {owed.next_attempt_at:%Y-%m-%d %H:%M} UTC{error}"
