"""One unit of work per update, with exactly-once effects and a clear answer on failure.

The update's id is claimed inside its own transaction, so a redelivered update whose work
committed is skipped and one whose work rolled back runs again. The handler's returned method
(if any) is sent by aiogram after this middleware returns, that is after the commit.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot import outbox
from teamtasks.bot.apology import apologize
from teamtasks.bot.refusals import refusal_reply
from teamtasks.bot.replies import Replies
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.i18n import DEFAULT_LANGUAGE
from teamtasks.models.enums import Language
from teamtasks.observability.metrics import observe_update
from teamtasks.services import updates
from teamtasks.services.errors import DomainError
from teamtasks.services.outbox import written_in
from teamtasks.storage import staged_objects

log = structlog.stdlib.get_logger("teamtasks.bot")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateFailedError(Exception):
    """An update's unit of work rolled back; raised so that webhook mode answers 5xx."""


class UnitOfWorkMiddleware(BaseMiddleware):
    def __init__(self, session_factory: SessionFactory) -> None:
        self._factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(update_id=event.update_id)
        started = time.perf_counter()
        try:
            result = await self._run(handler, event, data)
        except DomainError as refusal:
            # Nothing of the refused work is kept, but the update itself is done: record it.
            result = await self._refuse(event, data, refusal)
        except Exception as exc:
            await self._fail(event, data, exc, started)
            raise UpdateFailedError(f"update {event.update_id} failed") from exc
        outcome = "duplicate" if result is _SKIPPED else "ok"
        if result is not _SKIPPED and result is UNHANDLED:
            outcome = "unhandled"
        self._observe(outcome, started)
        return UNHANDLED if result is _SKIPPED else result

    async def _run(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        replies = Replies()
        # Objects put in this unit of work are deleted if it fails; those of deleted rows go
        # once it has committed (teamtasks/storage/staging.py).
        files_store = data.get("files_store")
        staging = staged_objects(files_store) if files_store is not None else nullcontext(None)
        async with staging as staged, unit_of_work(self._factory) as session:
            if not await _claim(session, event, data):
                return _SKIPPED
            data["session"] = session
            data["replies"] = replies
            data["staged"] = staged
            result = await handler(event, data)
            await session.flush()
            notifications = written_in(session)
        bot = data.get("bot")
        if isinstance(bot, Bot):
            for method in replies:
                await _send_quietly(bot, method)
            outbox.kick(notifications)
        return result

    async def _refuse(self, event: Update, data: dict[str, Any], refusal: DomainError) -> Any:
        async with unit_of_work(self._factory) as session:
            if not await updates.claim(session, update_id=event.update_id):
                return _SKIPPED
        structlog.contextvars.bind_contextvars(refused=refusal.key)
        language = data.get("language")
        reply = refusal_reply(
            event, refusal, language if isinstance(language, Language) else DEFAULT_LANGUAGE
        )
        return UNHANDLED if reply is None else reply

    async def _fail(
        self, event: Update, data: dict[str, Any], exc: Exception, started: float
    ) -> None:
        try:
            attempts = await updates.record_failure(self._factory, update_id=event.update_id)
        except Exception:
            log.exception("update_failure_not_recorded")
            attempts = 1
        log.error("update_failed", attempts=attempts, exc_info=exc)
        self._observe("error", started)
        if attempts <= 1:
            bot = data.get("bot")
            if isinstance(bot, Bot):
                await apologize(bot, event, data)

    @staticmethod
    def _observe(outcome: str, started: float) -> None:
        handler = structlog.contextvars.get_contextvars().get("handler", "none")
        elapsed = time.perf_counter() - started
        observe_update(handler, outcome, elapsed)
        if outcome != "error":
            log.info("update_handled", outcome=outcome, duration_ms=round(elapsed * 1000, 2))


_SKIPPED = object()


async def _claim(session: AsyncSession, event: Update, data: dict[str, Any]) -> bool:
    """Claim the update; where it can, read its sender in the same round trip (`sender_found`,
    for CurrentUserMiddleware)."""
    sender = data.get("event_from_user")
    if not isinstance(sender, TelegramUser) or sender.is_bot:
        return await updates.claim(session, update_id=event.update_id)
    claimed, data["sender_found"] = await updates.claim_and_find_sender(
        session, update_id=event.update_id, telegram_id=sender.id
    )
    return claimed


async def _send_quietly(bot: Bot, method: TelegramMethod[Any]) -> None:
    """Send a reply of committed work; a refusal by Telegram is logged, the work stands."""
    try:
        await bot(method)
    except TelegramAPIError as exc:
        log.warning("reply_not_delivered", method=type(method).__name__, error=str(exc))
