"""The outbox's delivery side: lease pending notifications, record how each delivery went.

A lease (attempts + 1, next attempt pushed into the future) is taken before a message is sent,
so two senders never send the same row at once; a sender that dies after sending leaves the
lease to expire, and the row is sent again: at least once, and in practice once.
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

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


_WRITTEN = "teamtasks.notifications_written"


@event.listens_for(Session, "transient_to_pending")
def _remember_notification(session: Session, instance: object) -> None:
    """Keep a strong reference: the identity map forgets clean rows it holds weakly."""
    if isinstance(instance, Notification):
        session.info.setdefault(_WRITTEN, []).append(instance)


def written_in(session: AsyncSession) -> list[int]:
    """Ids of the notifications this session wrote (call after a flush, so they have ids)."""
    rows: list[Notification] = session.info.get(_WRITTEN, [])
    return [row.id for row in rows if row.id is not None]


@dataclass(frozen=True)
class Delivery:
    """What a sender needs to send one notification; no ORM object leaves the transaction."""

    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    user_id: int | None


async def lease(
    session: AsyncSession,
    *,
    ids: Sequence[int] | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> list[Delivery]:
    """Take pending notifications that are due (optionally only these ids) for delivery."""
    now = now or utcnow()
    due = select(Notification.id).where(
        Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now
    )
    if ids is not None:
        due = due.where(Notification.id.in_(ids))
    due = due.order_by(Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    leased = await session.execute(
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + LEASE)
        .returning(
            Notification.id,
            Notification.chat_id,
            Notification.text,
            Notification.reply_markup,
            Notification.user_id,
        )
    )
    return sorted((Delivery(*row) for row in leased), key=lambda delivery: delivery.id)


async def mark_sent(session: AsyncSession, *, notification_id: int) -> None:
    """The message reached Telegram."""
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status=NotificationStatus.SENT, sent_at=utcnow(), last_error=None)
    )


async def mark_retry(
    session: AsyncSession, *, notification_id: int, error: str, after: timedelta
) -> None:
    """A passing failure: try again later, or give up after MAX_ATTEMPTS."""
    row = await session.get(Notification, notification_id)
    if row is None:
        return
    row.last_error = error[:1000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = NotificationStatus.FAILED
    else:
        row.next_attempt_at = utcnow() + after


async def mark_unreachable(session: AsyncSession, *, notification_id: int, error: str) -> None:
    """The person blocked the bot: this message fails, and no more are sent to them."""
    row = await session.get(Notification, notification_id)
    if row is None:
        return
    row.status = NotificationStatus.FAILED
    row.last_error = error[:1000]
    if row.user_id is not None:
        await session.execute(
            update(User)
            .where(User.id == row.user_id, User.is_reachable.is_(True))
            .values(is_reachable=False, unreachable_since=utcnow())
        )
        await session.execute(
            update(Notification)
            .where(
                Notification.user_id == row.user_id,
                Notification.status == NotificationStatus.PENDING,
            )
            .values(status=NotificationStatus.SKIPPED, last_error="recipient unreachable")
        )
