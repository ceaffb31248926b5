"""Who may act in a group: a member of the group's company. Anyone else who sends one of the
bot's commands or presses one of its buttons there is told why nothing happened; when the
group allows it, with a button to join the company as a member in one tap.

In a group linked to no company every command but `/link` and `/help` is answered with how to
link it. A command for another bot (`/new@otherbot`) matches no `Command` filter here and is
left alone, as is anything else not addressed to the bot.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.groups import GroupAction, GroupCallback
from teamtasks.bot.handlers.groups.common import IN_GROUP, PRESSED_IN_GROUP
from teamtasks.bot.handlers.team.commands import COMMANDS
from teamtasks.bot.handlers.work.common import send
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.groups import outsider_screen
from teamtasks.bot.views.work import t
from teamtasks.models import User
from teamtasks.models.enums import Language
from teamtasks.services import groups
from teamtasks.services.actors import Actor
from teamtasks.services.groups import GroupLink

OPEN_TO_ALL = frozenset({"link", "help"})
GATED = (*(command for command in COMMANDS if command not in OPEN_TO_ALL), "unlink", "group")


async def outsider(_event: object, actor: Actor | None = None) -> bool:
    """The sender is not a member of the group's company (or the group is not linked)."""
    return actor is None


async def refuse_command(
    message: Message, language: Language, group: GroupLink | None = None
) -> SendMessage:
    if group is None:
        return message.answer(t(language, "groups.unlinked"))
    name = message.from_user.full_name if message.from_user is not None else ""
    return send(message, outsider_screen(group, name, language))


async def refuse_button(
    callback: CallbackQuery, language: Language, replies: Replies, group: GroupLink | None = None
) -> AnswerCallbackQuery:
    if group is None:
        return callback.answer(t(language, "groups.unlinked"), show_alert=True)
    if group.allow_join and callback.message is not None:
        screen = outsider_screen(group, callback.from_user.full_name, language)
        replies.add(
            SendMessage(
                chat_id=callback.message.chat.id, text=screen.text, reply_markup=screen.markup
            )
        )
    alert = "groups.outsider.alert_open" if group.allow_join else "groups.outsider.alert"
    return callback.answer(t(language, alert, company=group.company_name), show_alert=True)


async def join(
    callback: CallbackQuery, session: AsyncSession, user: User, language: Language
) -> AnswerCallbackQuery:
    """One tap: the presser joins the group's company as a member (if the group allows it)."""
    assert callback.message is not None
    joined = await groups.join_from_group(session, user=user, chat_id=callback.message.chat.id)
    key = "groups.joined" if joined.joined else "groups.already_member"
    return callback.answer(t(language, key, company=joined.link.company_name), show_alert=True)


def register(router: Router) -> None:
    router.callback_query.register(
        join, PRESSED_IN_GROUP, GroupCallback.filter(F.action == GroupAction.JOIN)
    )
    router.message.register(refuse_command, IN_GROUP, Command(*GATED), outsider)
    router.callback_query.register(refuse_button, PRESSED_IN_GROUP, outsider)
