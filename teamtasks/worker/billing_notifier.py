"""The billing notifier: owners are told before a trial or a paid period ends, and the states
the clock already implies (teamtasks/services/standing.py) are written down.

    trialing past its end           -> expired
    active past its period          -> past_due, grace_until = period end + GRACE
    past_due past its grace         -> expired
    canceled past its period end    -> expired

Each move is one set-based UPDATE ... RETURNING over a chunk of rows (locked, skipping rows
another run holds), audited with one multi-row INSERT and told to the owners, in one
transaction per chunk: memory stays flat however many companies there are, and a run repeated
(a second scheduler, a retry) finds nothing left to move. Notices are Notification rows whose
dedupe key (company, period end, threshold or state, owner) makes each one exist once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Interval,
    Row,
    Table,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import dialect_insert, unit_of_work
from teamtasks.i18n import DEFAULT_LANGUAGE, gettext, language_from_telegram
from teamtasks.models import AuditLog, Company, Membership, Notification, Subscription, User
from teamtasks.models.enums import NotificationStatus, Role, SubscriptionStatus
from teamtasks.services.standing import GRACE
from teamtasks.worker.context import WorkerContext

TRIALING = SubscriptionStatus.TRIALING
AUDIT_LOG = cast("Table", AuditLog.__table__)
NOTIFICATIONS = cast("Table", Notification.__table__)
"""The tables, for Core inserts of thousands of rows a chunk: no ORM bookkeeping per row."""

CHUNK = 5000
NOTICE_BEFORE = (timedelta(days=3), timedelta(days=1))
"""How long before a trial or a paid period ends its owners are told (once per threshold)."""


@dataclass(frozen=True)
class Move:
    """One move of a subscription's state that time alone makes."""

    name: str
    """The audit action and the notice's key: `standing.<name>`, `worker.billing.<name>`."""
    before: SubscriptionStatus
    after: SubscriptionStatus

    def due(self, now: datetime) -> ColumnElement[bool]:
        s = Subscription
        ended = s.current_period_end <= now
        if self.before is SubscriptionStatus.PAST_DUE:
            ended = or_(
                s.grace_until <= now,
                and_(s.grace_until.is_(None), s.current_period_end <= now - GRACE),
            )
        return and_(s.status == self.before, ended)


MOVES = (
    Move("trial_expired", SubscriptionStatus.TRIALING, SubscriptionStatus.EXPIRED),
    Move("past_due", SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
    Move("expired", SubscriptionStatus.PAST_DUE, SubscriptionStatus.EXPIRED),
    Move("canceled_expired", SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED),
)


@dataclass
class Report:
    warned: int = 0
    """Notices of an end coming, written now (not counting those written by earlier runs)."""
    trial_expired: int = 0
    past_due: int = 0
    expired: int = 0
    canceled_expired: int = 0


async def run(ctx: WorkerContext) -> Report:
    now = ctx.clock()
    report = Report()
    for move in MOVES:
        while True:
            async with unit_of_work(ctx.factory) as session:
                moved = await _move(session, move, now)
            setattr(report, move.name, getattr(report, move.name) + len(moved))
            if len(moved) < CHUNK:
                break
    for threshold in NOTICE_BEFORE:
        after_id = 0
        while True:
            async with unit_of_work(ctx.factory) as session:
                ending = await _ending(session, threshold, now, after_id)
                report.warned += await _warn(session, ending, threshold, now)
            if len(ending) < CHUNK:
                break
            after_id = ending[-1].id
    return report


async def _move(session: AsyncSession, move: Move, now: datetime) -> Sequence[Row[Any]]:
    s = Subscription
    chunk = select(s.id).where(move.due(now)).order_by(s.id).limit(CHUNK)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        chunk = chunk.with_for_update(skip_locked=True)
    values: dict[str, Any] = {"status": move.after}
    if move.after is SubscriptionStatus.PAST_DUE:
        values["grace_until"] = (
            s.current_period_end + literal(GRACE, Interval())
            if postgresql
            else func.datetime(s.current_period_end, f"+{int(GRACE.total_seconds())} seconds")
        )
    moved = (
        await session.execute(
            update(s)
            # The condition again: a row another run moved meanwhile is left alone.
            .where(s.id.in_(chunk.scalar_subquery()), move.due(now))
            .values(**values)
            .returning(s.id, s.company_id, s.current_period_end, s.grace_until)
            # No Subscription objects are held in this session: nothing to synchronize.
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not moved:
        return moved
    await session.execute(
        insert(AUDIT_LOG),
        [
            {
                "company_id": row.company_id,
                "actor_user_id": None,
                "action": f"standing.{move.name}",
                "entity_type": "subscription",
                "entity_id": row.id,
                "details": {"before": move.before.value, "after": move.after.value},
                "created_at": now,
            }
            for row in moved
        ],
    )
    ends = {row.company_id: row.grace_until or row.current_period_end for row in moved}
    await _tell_owners(session, ends, f"worker.billing.{move.name}", move.name, now)
    return moved


async def _ending(
    session: AsyncSession, threshold: timedelta, now: datetime, after_id: int
) -> Sequence[Row[Any]]:
    """Subscriptions ending within `threshold` but not yet within the next smaller one."""
    s = Subscription
    smaller = max((t for t in NOTICE_BEFORE if t < threshold), default=timedelta(0))
    return (
        await session.execute(
            select(s.id, s.company_id, s.status, s.current_period_end)
            .where(
                s.status.in_([TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELED]),
                s.current_period_end > now + smaller,
                s.current_period_end <= now + threshold,
                s.id > after_id,
            )
            .order_by(s.id)
            .limit(CHUNK)
        )
    ).all()


async def _warn(
    session: AsyncSession, ending: Sequence[Row[Any]], threshold: timedelta, now: datetime
) -> int:
    trials = {r.company_id: r.current_period_end for r in ending if r.status is TRIALING}
    paid = {r.company_id: r.current_period_end for r in ending if r.status is not TRIALING}
    days = threshold.days
    kind = f"ends_{days}d"
    return await _tell_owners(
        session, trials, "worker.billing.trial_ends", kind, now, days=days
    ) + await _tell_owners(session, paid, "worker.billing.period_ends", kind, now, days=days)


async def _tell_owners(
    session: AsyncSession,
    ends: dict[int, datetime],
    key: str,
    kind: str,
    now: datetime,
    *,
    days: int | None = None,
) -> int:
    """A notice to each owner of these companies; returns how many were new."""
    if not ends:
        return 0
    owners = await session.execute(
        # Columns, not User objects: thousands of rows a chunk, read once.
        select(
            Company.id,
            Company.name,
            Company.timezone,
            User.id,
            User.telegram_id,
            User.language,
            User.language_code,
            User.is_reachable,
        )
        .join(Membership, Membership.company_id == Company.id)
        .join(User, User.id == Membership.user_id)
        .where(Company.id.in_(ends), Membership.role == Role.OWNER)
    )
    rows = []
    for company_id, name, timezone, user_id, chat_id, chosen, code, reachable in owners.tuples():
        end = ends[company_id]
        language = chosen or language_from_telegram(code, DEFAULT_LANGUAGE)
        text = gettext(
            language,
            key,
            company=escape(name, quote=False),
            date=end.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M"),
            left=gettext(language, f"worker.billing.left.{days}") if days else "",
        )
        rows.append(
            {
                "company_id": company_id,
                "user_id": user_id,
                "chat_id": chat_id,
                "kind": f"billing.{kind}",
                "dedupe_key": f"billing.{kind}:{company_id}:{end:%Y%m%dT%H%M%S}:{user_id}",
                "text": text,
                "status": NotificationStatus.PENDING if reachable else NotificationStatus.SKIPPED,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    if not rows:
        return 0
    written = await session.execute(
        dialect_insert(session, NOTIFICATIONS)
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
        .returning(NOTIFICATIONS.c.id),
        rows,
    )
    return len(written.all())
