"""Linking the group: `/link [project]`, `/unlink`, `/group` (what it is linked to, and the
switches for announcements and one-tap joining)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.groups import GroupAction, GroupCallback
from teamtasks.bot.handlers.groups.common import IN_GROUP, PRESSED_IN_GROUP
from teamtasks.bot.handlers.work.common import in_place, send
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.groups import group_screen
from teamtasks.bot.views.work import notice, t
from teamtasks.models.enums import Language
from teamtasks.services import groups
from teamtasks.services.actors import Actor
from teamtasks.services.groups import GroupLink


async def link(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    language: Language,
    actor: Actor | None = None,
    home_actor: Actor | None = None,
    group: GroupLink | None = None,
) -> SendMessage:
    """Link the group to the sender's active company; in a group already linked to a company
    of theirs, change its project."""
    linker = member(actor if group is not None and actor is not None else home_actor)
    project_id = None
    if command.args and command.args.strip():
        project = await groups.project_named(session, actor=linker, name=command.args)
        project_id = project.id
    linked = await groups.link_group(
        session, actor=linker, chat_id=message.chat.id, project_id=project_id
    )
    header = t(language, "groups.linked")
    return send(message, group_screen(linked, linker, language, header=header))


async def unlink(
    message: Message, session: AsyncSession, language: Language, actor: Actor | None = None
) -> SendMessage:
    await groups.unlink_group(session, actor=member(actor), chat_id=message.chat.id)
    return send(message, notice(language, "groups.unlinked_done"))


async def show(
    message: Message, language: Language, actor: Actor | None = None, group: GroupLink | None = None
) -> SendMessage:
    """`/group`: what the group is linked to (the gate has answered an unlinked group)."""
    assert group is not None
    return send(message, group_screen(group, member(actor), language))


async def switch(
    callback: CallbackQuery,
    callback_data: GroupCallback,
    session: AsyncSession,
    language: Language,
    replies: Replies,
    actor: Actor | None = None,
) -> AnswerCallbackQuery:
    actor = member(actor)
    assert callback.message is not None
    on = callback_data.on
    linked = await groups.set_options(
        session,
        actor=actor,
        chat_id=callback.message.chat.id,
        announce=on if callback_data.action is GroupAction.ANNOUNCE else None,
        allow_join=on if callback_data.action is GroupAction.ALLOW_JOIN else None,
    )
    return in_place(
        callback, replies, group_screen(linked, actor, language), t(language, "work.toast.saved")
    )


def register(router: Router) -> None:
    router.message.register(link, IN_GROUP, Command("link"))
    router.message.register(unlink, IN_GROUP, Command("unlink"))
    router.message.register(show, IN_GROUP, Command("group"))
    router.callback_query.register(
        switch,
        PRESSED_IN_GROUP,
        GroupCallback.filter(F.action.in_({GroupAction.ANNOUNCE, GroupAction.ALLOW_JOIN})),
    )
