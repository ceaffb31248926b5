"""What Telegram tells of the group itself: the bot added (it says how to link the group) or
removed (the link goes, quietly), and the group upgraded to a supergroup (the link follows)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.methods import SendMessage
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.filters import Magic
from teamtasks.bot.handlers.groups.common import IN_GROUP
from teamtasks.bot.views.work import t
from teamtasks.models import User
from teamtasks.models.enums import Language
from teamtasks.services import groups

GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.KICKED})


async def bot_membership_changed(
    event: ChatMemberUpdated,
    session: AsyncSession,
    language: Language,
    user: User | None = None,
) -> SendMessage | None:
    joined = event.new_chat_member.status not in GONE
    if joined and event.old_chat_member.status in GONE:
        return SendMessage(chat_id=event.chat.id, text=t(language, "groups.welcome"))
    if not joined:
        await groups.bot_removed(
            session, chat_id=event.chat.id, by_user_id=user.id if user is not None else None
        )
    return None


async def migrated(message: Message, session: AsyncSession) -> None:
    """The group became a supergroup (the old group's last message says which)."""
    assert message.migrate_to_chat_id is not None
    await groups.group_migrated(
        session, old_chat_id=message.chat.id, new_chat_id=message.migrate_to_chat_id
    )


def register(router: Router) -> None:
    router.my_chat_member.register(bot_membership_changed, IN_GROUP)
    router.message.register(migrated, IN_GROUP, Magic(F.migrate_to_chat_id))
