"""Keeps the sender's User row in step with Telegram and puts it, and its language, in `data`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import language_from_telegram
from teamtasks.models.enums import Language
from teamtasks.services import users

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CurrentUserMiddleware(BaseMiddleware):
    def __init__(self, default_language: Language) -> None:
        self._default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender = data.get("event_from_user")
        session = data.get("session")
        if isinstance(sender, TelegramUser) and isinstance(session, AsyncSession):
            user = await users.sync_from_telegram(
                session,
                telegram_id=sender.id,
                first_name=sender.first_name,
                last_name=sender.last_name,
                username=sender.username,
                language_code=sender.language_code,
            )
            data["user"] = user
            data["language"] = user.language or language_from_telegram(
                sender.language_code, self._default_language
            )
            structlog.contextvars.bind_contextvars(
                user_id=user.id, company_id=user.active_company_id
            )
        else:
            data["language"] = self._default_language
        return await handler(event, data)
