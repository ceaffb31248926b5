"""Delivering the notifications an update wrote, once its work committed.

The worker takes this over in a later issue (with Telegram's rate limits); until then the bot
sends what each update wrote right after its commit, and anything that could not go now stays
pending with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.services import outbox

log = structlog.stdlib.get_logger("teamtasks.outbox")


_in_flight: set[asyncio.Task[None]] = set()


def deliver_soon(bot: Bot, factory: SessionFactory, ids: Sequence[int]) -> None:
    """Deliver in the background, so the person who acted gets their own answer first."""
    if not ids:
        return
    task = asyncio.create_task(deliver(bot, factory, ids))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


async def drain() -> None:
    """Wait for the deliveries in progress (at shutdown, so none is cut off mid-way)."""
    while _in_flight:
        await asyncio.gather(*_in_flight, return_exceptions=True)


async def deliver(bot: Bot, factory: SessionFactory, ids: Sequence[int]) -> None:
    """Send these notifications now; never raises (what fails stays for a later attempt)."""
    if not ids:
        return
    try:
        async with unit_of_work(factory) as session:
            deliveries = await outbox.lease(session, ids=ids)
        for delivery in deliveries:
            markup = (
                InlineKeyboardMarkup.model_validate(delivery.reply_markup)
                if delivery.reply_markup
                else None
            )
            try:
                await bot.send_message(delivery.chat_id, delivery.text, reply_markup=markup)
            except TelegramForbiddenError as exc:
                async with unit_of_work(factory) as session:
                    await outbox.mark_unreachable(
                        session, notification_id=delivery.id, error=str(exc)
                    )
                continue
            except TelegramRetryAfter as exc:
                await _retry(factory, delivery.id, str(exc), timedelta(seconds=exc.retry_after))
                continue
            except (TelegramNetworkError, TelegramAPIError) as exc:
                await _retry(factory, delivery.id, str(exc), timedelta(seconds=30))
                continue
            async with unit_of_work(factory) as session:
                await outbox.mark_sent(session, notification_id=delivery.id)
    except Exception:
        log.exception("notification_delivery_failed", notification_ids=list(ids))


async def _retry(
    factory: SessionFactory, notification_id: int, error: str, after: timedelta
) -> None:
    log.warning("notification_deferred", notification_id=notification_id, error=error)
    async with unit_of_work(factory) as session:
        await outbox.mark_retry(session, notification_id=notification_id, error=error, after=after)
