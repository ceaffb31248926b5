"""Puts the sender in `data`: their User row (kept in step with Telegram), language and Actor."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import language_from_telegram
from teamtasks.models.enums import Language
from teamtasks.services.actors import identify

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CurrentUserMiddleware(BaseMiddleware):
    """`user`, `language` and `actor` (None outside any company) for every handler."""

    def __init__(self, default_language: Language) -> None:
        self._default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender = data.get("event_from_user")
        session = data.get("session")
        data["language"] = self._default_language
        data["actor"] = None
        if (
            isinstance(sender, TelegramUser)
            and not sender.is_bot
            and isinstance(session, AsyncSession)
        ):
            user, actor = await identify(
                session,
                telegram_id=sender.id,
                first_name=sender.first_name,
                last_name=sender.last_name,
                username=sender.username,
                language_code=sender.language_code,
                found=data.get("sender_found"),
            )
            language = user.language or language_from_telegram(
                sender.language_code, self._default_language
            )
            if actor is not None and actor.language is not language:
                actor = dataclasses.replace(actor, language=language)
            data.update(user=user, language=language, actor=actor)
            structlog.contextvars.bind_contextvars(
                user_id=user.id, company_id=actor.company_id if actor else None
            )
        return await handler(event, data)
