"""In a group, the sender acts in the group's company, not in their active one.

For an update from a group or supergroup this puts `group` in `data` (the group's link, None
when the group is linked to no company), keeps the sender's own Actor as `home_actor` (their
active company: the one `/link` links to) and makes `actor` the sender in the group's company
(None when they are not a member of it, or the group is not linked). Private chats pass through
untouched and cost no query.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import User
from teamtasks.services.groups import group_context

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


class GroupChatMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat = data.get("event_chat")
        session = data.get("session")
        if (
            isinstance(chat, Chat)
            and chat.type in GROUP_TYPES
            and isinstance(session, AsyncSession)
        ):
            user = data.get("user")
            link, actor = await group_context(
                session, chat_id=chat.id, user=user if isinstance(user, User) else None
            )
            if actor is not None and actor.language is not data.get("language", actor.language):
                actor = dataclasses.replace(actor, language=data["language"])
            data.update(group=link, home_actor=data.get("actor"), actor=actor)
            structlog.contextvars.bind_contextvars(
                chat_id=chat.id, company_id=link.company_id if link else None
            )
        return await handler(event, data)
