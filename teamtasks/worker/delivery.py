"""The outbox delivery job: pending notifications reach Telegram within its limits, once each.

A batch is leased, split by chat and sent by one sender per chat, all pacing themselves on the
shared rate limiter (30 a second overall, 1 a second per chat, 20 a minute per group). What
Telegram answers decides each row's fate:

    sent                        marked sent
    429 Too Many Requests       the chat waits the retry_after Telegram gave, then the same
                                message goes again
    403 Forbidden               the person blocked the bot (or it left the group): marked
                                unreachable, nothing more is sent to that chat
    400 Bad Request             the message itself is refused: failed, with Telegram's reason
                                (as is a stored keyboard that is not one, before it is sent)
    anything else               retried with a growing backoff, then failed with the reason

A group that has reached its limit while more is waiting for it gets one digest folding the
rest (as much as fits in a message; what does not fit waits for the next), never a drop. Its
backlog is gathered across jobs: each change kicks its own job, so a sender that finds the
group's bucket empty hands its rows back, waits for the next slot, and then leases every row
due for the group (its own and those other senders handed back) to fold them into one message;
a sender that finds none left has nothing to do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import structlog
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from pydantic import ValidationError
from sqlalchemy import select

from teamtasks.db import unit_of_work
from teamtasks.i18n import gettext, language_from_telegram
from teamtasks.models import GroupChat
from teamtasks.models.enums import Language
from teamtasks.services import outbox
from teamtasks.services.notifications import MAX_TEXT
from teamtasks.services.outbox import Delivery
from teamtasks.worker.context import WorkerContext

log = structlog.stdlib.get_logger("teamtasks.worker")

DIGEST_SEPARATOR = "\n\n"


class Outcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    RETRY = "retry"


@dataclass
class Report:
    """What one run of the job did, by notification (folded ones counted in `sent` too)."""

    sent: int = 0
    folded: int = 0
    unreachable: int = 0
    failed: int = 0
    retried: int = 0
    handed_back: int = 0


async def deliver(ctx: WorkerContext, *, ids: Sequence[int] | None = None) -> Report:
    """Send what is due (only these ids, when given), batch after batch, until none is left."""
    report = Report()
    lease = timedelta(seconds=ctx.settings.delivery_lease_seconds)
    while not ctx.stopping.is_set():
        async with unit_of_work(ctx.factory) as session:
            batch = await outbox.lease(
                session,
                ids=ids,
                limit=ctx.settings.delivery_batch_size,
                now=ctx.clock(),
                duration=lease,
            )
        if not batch:
            break
        await _send_batch(ctx, batch, report)
    return report


async def _send_batch(ctx: WorkerContext, batch: list[Delivery], report: Report) -> None:
    """Send a batch, one sender per chat; a chat whose sender fails does not stop the others.

    Every sender runs to its end before the lease renewer stops (a sender still running
    unrenewed would see its rows leased and sent again by another run); what failed is raised
    then, together.
    """
    chats: dict[int, deque[Delivery]] = {}
    for delivery in batch:
        chats.setdefault(delivery.chat_id, deque()).append(delivery)
    leased = {chat_id: {delivery.id for delivery in queue} for chat_id, queue in chats.items()}
    async with _renewing(ctx, leased):
        results = await asyncio.gather(
            *(
                _send_chat_alone(ctx, chat_id, queue, leased[chat_id], report)
                for chat_id, queue in chats.items()
            ),
            return_exceptions=True,
        )
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise BaseExceptionGroup("chats not delivered", errors)


async def _send_chat_alone(
    ctx: WorkerContext,
    chat_id: int,
    queue: deque[Delivery],
    leased: set[int],
    report: Report,
) -> None:
    """One chat's sender; if it fails, its rows are no longer renewed: their lease lapses and
    they go again, while the other chats carry on."""
    try:
        await _send_chat(ctx, chat_id, queue, leased, report)
    except Exception:
        leased.clear()
        raise


@contextlib.asynccontextmanager
async def _renewing(ctx: WorkerContext, leased: dict[int, set[int]]) -> AsyncIterator[None]:
    """Renew the lease of the rows still unsent (by chat) every third of a lease, while the
    batch runs."""
    lease = timedelta(seconds=ctx.settings.delivery_lease_seconds)

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            ids = sorted(row for rows in leased.values() for row in rows)
            async with unit_of_work(ctx.factory) as session:
                await outbox.extend(session, ids=ids, until=ctx.clock() + lease)

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


async def _send_chat(
    ctx: WorkerContext,
    chat_id: int,
    queue: deque[Delivery],
    leased: set[int],
    report: Report,
) -> None:
    """Send one chat's messages in order, folding a group's backlog into a digest.

    `leased` holds this chat's rows that are leased and unsent.
    """
    while queue:
        if ctx.stopping.is_set():
            await _hand_back(ctx, queue, leased, report)
            return
        waited = chat_id < 0 and not await ctx.limiter.ready(chat_id)
        if waited:
            queue = await _backlog(ctx, chat_id, queue, leased)
            if not queue:
                return
            if ctx.stopping.is_set():
                await _hand_back(ctx, queue, leased, report)
                return
        message = [queue.popleft()]
        title = ""
        if waited and queue:
            language = await _group_language(ctx, chat_id)
            title = gettext(language, "worker.digest.title", count=len(queue) + 1)
            message += _fold(message[0], queue, title)
            title = gettext(language, "worker.digest.title", count=len(message))
        outcome, error = await _send(ctx, chat_id, message, title)
        ids = [delivery.id for delivery in message]
        leased.difference_update(ids)
        await _record(ctx, chat_id, ids, outcome, error)
        if outcome is Outcome.SENT:
            await ctx.limiter.sent(chat_id)
        _count(report, outcome, len(ids))
        if outcome is Outcome.UNREACHABLE:
            leased.difference_update(delivery.id for delivery in queue)
            return


async def _backlog(
    ctx: WorkerContext, chat_id: int, queue: deque[Delivery], leased: set[int]
) -> deque[Delivery]:
    """Hand this group's rows back, wait for its next slot, then lease all that is due for it."""
    ids = [delivery.id for delivery in queue]
    async with unit_of_work(ctx.factory) as session:
        await outbox.release(session, ids=ids, now=ctx.clock())
    leased.difference_update(ids)
    await ctx.limiter.until_ready(chat_id)
    lease = timedelta(seconds=ctx.settings.delivery_lease_seconds)
    async with unit_of_work(ctx.factory) as session:
        batch = await outbox.lease(
            session,
            chat_id=chat_id,
            limit=ctx.settings.delivery_batch_size,
            now=ctx.clock(),
            duration=lease,
        )
    leased.update(delivery.id for delivery in batch)
    return deque(batch)


async def _group_language(ctx: WorkerContext, chat_id: int) -> Language:
    """The language the group was linked in (a digest is read by the group), else the default."""
    async with ctx.factory() as session:
        language = await session.scalar(
            select(GroupChat.language).where(GroupChat.chat_id == chat_id)
        )
    return language or language_from_telegram(ctx.settings.default_language)


def _fold(first: Delivery, queue: deque[Delivery], title: str) -> list[Delivery]:
    """Take from the queue the notifications that fit in one message with `first`."""
    length = len(title) + len(DIGEST_SEPARATOR) + len(first.text)
    folded: list[Delivery] = []
    while queue and length + len(DIGEST_SEPARATOR) + len(queue[0].text) <= MAX_TEXT:
        length += len(DIGEST_SEPARATOR) + len(queue[0].text)
        folded.append(queue.popleft())
    return folded


async def _send(
    ctx: WorkerContext, chat_id: int, message: list[Delivery], title: str
) -> tuple[Outcome, str | None]:
    """One notification, or several folded under `title` (a digest)."""
    if len(message) == 1:
        text, markup = message[0].text, message[0].reply_markup
    else:
        text = DIGEST_SEPARATOR.join([title, *(delivery.text for delivery in message)])
        markup = None
    try:
        keyboard = InlineKeyboardMarkup.model_validate(markup) if markup else None
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(["reply_markup", *(str(part) for part in error["loc"])])
        return Outcome.FAILED, f"invalid {where}: {error['msg']}"
    while True:
        await ctx.limiter.acquire(chat_id)
        try:
            await ctx.bot.send_message(chat_id, text, reply_markup=keyboard)
        except TelegramRetryAfter as exc:
            log.info("flood_wait", chat_id=chat_id, seconds=exc.retry_after)
            await ctx.limiter.hold(chat_id, exc.retry_after)
            continue
        except TelegramForbiddenError as exc:
            return Outcome.UNREACHABLE, exc.message
        except TelegramBadRequest as exc:
            return Outcome.FAILED, exc.message
        except TelegramAPIError as exc:
            return Outcome.RETRY, exc.message
        return Outcome.SENT, None


async def _record(
    ctx: WorkerContext, chat_id: int, ids: list[int], outcome: Outcome, error: str | None
) -> None:
    now = ctx.clock()
    reason = error or ""
    async with unit_of_work(ctx.factory) as session:
        if outcome is Outcome.SENT:
            await outbox.mark_sent(session, ids=ids, now=now)
        elif outcome is Outcome.UNREACHABLE:
            await outbox.mark_unreachable(session, chat_id=chat_id, ids=ids, error=reason, now=now)
        elif outcome is Outcome.FAILED:
            await outbox.mark_failed(session, ids=ids, error=reason)
        else:
            await outbox.mark_retry(session, ids=ids, error=reason, now=now)
    if outcome is not Outcome.SENT:
        log.warning("notification_not_sent", chat_id=chat_id, ids=ids, outcome=outcome, error=error)


async def _hand_back(
    ctx: WorkerContext, queue: deque[Delivery], leased: set[int], report: Report
) -> None:
    ids = [delivery.id for delivery in queue]
    async with unit_of_work(ctx.factory) as session:
        await outbox.release(session, ids=ids, now=ctx.clock())
    leased.difference_update(ids)
    report.handed_back += len(ids)
    queue.clear()


def _count(report: Report, outcome: Outcome, count: int) -> None:
    if outcome is Outcome.SENT:
        report.sent += count
        report.folded += count - 1
    elif outcome is Outcome.UNREACHABLE:
        report.unreachable += count
    elif outcome is Outcome.FAILED:
        report.failed += count
    else:
        report.retried += count
