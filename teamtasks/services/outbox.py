"""The outbox's delivery side: lease pending notifications, record how each delivery went.

A lease (attempts + 1, next attempt pushed one lease into the future) is taken before a
message is sent, so two senders never send the same row at once; the sender renews it while it
works and hands back what it did not send when it stops. A sender killed outright leaves its
lease to lapse, and the rows are sent again: at least once, and twice only for a message that
reached Telegram in the moment before its row was marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from teamtasks.models import Notification, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import NotificationStatus

LEASE = timedelta(minutes=1)
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)
"""The wait after a first passing failure; it doubles with each attempt, up to BACKOFF_MAX."""
BACKOFF_MAX = timedelta(hours=1)
UNREACHABLE = "recipient unreachable"

_WRITTEN = "teamtasks.notifications_written"


@event.listens_for(Session, "transient_to_pending")
def _remember_notification(session: Session, instance: object) -> None:
    """Keep a strong reference: the identity map forgets clean rows it holds weakly."""
    if isinstance(instance, Notification):
        session.info.setdefault(_WRITTEN, []).append(instance)


def written_in(session: AsyncSession) -> list[int]:
    """Ids of the pending notifications this session wrote (call after a flush)."""
    rows: list[Notification] = session.info.get(_WRITTEN, [])
    return [
        row.id for row in rows if row.id is not None and row.status is NotificationStatus.PENDING
    ]


@dataclass(frozen=True)
class Delivery:
    """What a sender needs to send one notification; no ORM object leaves the transaction."""

    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    user_id: int | None


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next attempt after `attempts` failed ones."""
    return min(BACKOFF * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_MAX)


async def lease(
    session: AsyncSession,
    *,
    ids: Sequence[int] | None = None,
    chat_id: int | None = None,
    limit: int = 100,
    now: datetime | None = None,
    duration: timedelta = LEASE,
) -> list[Delivery]:
    """Take pending notifications that are due (optionally only these ids, or only those for
    this chat), oldest first.

    Those due for a person who blocked the bot are skipped instead of leased.
    """
    now = now or utcnow()
    due = select(Notification.id).where(
        Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now
    )
    if ids is not None:
        due = due.where(Notification.id.in_(ids))
    if chat_id is not None:
        due = due.where(Notification.chat_id == chat_id)
    postgresql = session.get_bind().dialect.name == "postgresql"
    unreachable = due.join(User, User.id == Notification.user_id).where(
        User.is_reachable.is_(False)
    )
    if postgresql:
        unreachable = unreachable.with_for_update(of=Notification, skip_locked=True)
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(unreachable.limit(limit).scalar_subquery()))
        .values(status=NotificationStatus.SKIPPED, last_error=UNREACHABLE)
    )
    due = due.order_by(Notification.id).limit(limit)
    if postgresql:
        due = due.with_for_update(skip_locked=True)
    leased = await session.execute(
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + duration)
        .returning(
            Notification.id,
            Notification.chat_id,
            Notification.text,
            Notification.reply_markup,
            Notification.user_id,
        )
    )
    return sorted((Delivery(*row) for row in leased), key=lambda delivery: delivery.id)


def _pending(ids: Sequence[int]) -> Any:
    return (Notification.id.in_(ids)) & (Notification.status == NotificationStatus.PENDING)


async def extend(session: AsyncSession, *, ids: Sequence[int], until: datetime) -> None:
    """Renew the lease of rows still being worked on."""
    await session.execute(update(Notification).where(_pending(ids)).values(next_attempt_at=until))


async def release(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> None:
    """Hand leased rows back unsent (the sender is stopping): due now, the attempt not counted."""
    await session.execute(
        update(Notification)
        .where(_pending(ids))
        .values(attempts=Notification.attempts - 1, next_attempt_at=now)
    )


async def mark_sent(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> None:
    """These rows reached Telegram (one message, or several folded into one)."""
    await session.execute(
        update(Notification)
        .where(_pending(ids))
        .values(status=NotificationStatus.SENT, sent_at=now, last_error=None)
    )


async def mark_failed(session: AsyncSession, *, ids: Sequence[int], error: str) -> None:
    """A failure that trying again would only repeat (Telegram refused the message itself)."""
    await session.execute(
        update(Notification)
        .where(_pending(ids))
        .values(status=NotificationStatus.FAILED, last_error=error[:1000])
    )


async def mark_retry(
    session: AsyncSession, *, ids: Sequence[int], error: str, now: datetime
) -> None:
    """A passing failure: try again after a backoff, or give up after MAX_ATTEMPTS."""
    rows = await session.execute(
        select(Notification.id, Notification.attempts).where(_pending(ids))
    )
    for notification_id, attempts in rows.all():
        values: dict[str, Any] = {"last_error": error[:1000]}
        if attempts >= MAX_ATTEMPTS:
            values["status"] = NotificationStatus.FAILED
        else:
            values["next_attempt_at"] = now + backoff(attempts)
        await session.execute(
            update(Notification).where(Notification.id == notification_id).values(**values)
        )


async def mark_unreachable(
    session: AsyncSession, *, chat_id: int, ids: Sequence[int], error: str, now: datetime
) -> None:
    """The person blocked the bot (or it left the group): these rows fail, the chat's other
    pending rows are skipped, and the person is marked so that nothing more is sent."""
    await mark_failed(session, ids=ids, error=error)
    await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SKIPPED, last_error=UNREACHABLE)
    )
    if chat_id > 0:
        await session.execute(
            update(User)
            .where(User.telegram_id == chat_id, User.is_reachable.is_(True))
            .values(is_reachable=False, unreachable_since=now)
        )
