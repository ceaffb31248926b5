"""`/members`: the list with roles; owners change roles and remove; anyone can leave."""

from __future__ import annotations

import dataclasses

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.team import MemberAction, MemberCallback
from teamtasks.bot.handlers.team.common import answer, edit
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team_members as views
from teamtasks.i18n import gettext
from teamtasks.models.enums import Language
from teamtasks.services import members
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import NotFound
from teamtasks.services.members import MemberInfo


async def _member_info(session: AsyncSession, actor: Actor, user_id: int) -> MemberInfo:
    """One member of the actor's company, with the name the list shows (owners only)."""
    require(actor, Permission.MANAGE_MEMBERS)
    for info in await members.list_members(session, actor=actor):
        if info.user_id == user_id:
            return info
    raise NotFound("errors.not_found.member")


async def list_command(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    actor = member(actor)
    listed = await members.list_members(session, actor=actor)
    return answer(message, views.member_list(language, actor, listed, offset=0))


async def show_page(
    callback: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    listed = await members.list_members(session, actor=actor)
    replies.add(edit(callback, views.member_list(language, actor, listed, callback_data.offset)))
    return callback.answer()


async def open_card(
    callback: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    info = await _member_info(session, actor, callback_data.user_id)
    replies.add(edit(callback, views.member_card(language, actor, info)))
    return callback.answer()


async def change_role(
    callback: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    assert callback_data.role is not None  # the filter lets only complete data through
    changed = await members.change_role(
        session, actor=actor, user_id=callback_data.user_id, role=callback_data.role
    )
    if changed.user_id == actor.user_id:
        actor = dataclasses.replace(actor, role=changed.role)
    listed = await members.list_members(session, actor=actor)
    replies.add(edit(callback, views.member_list(language, actor, listed, offset=0)))
    return callback.answer(gettext(language, "team.mem.role_changed"))


async def ask_remove(
    callback: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    info = await _member_info(session, actor, callback_data.user_id)
    replies.add(edit(callback, views.confirm_remove(language, actor, info)))
    return callback.answer()


async def remove(
    callback: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    await members.remove_member(session, actor=actor, user_id=callback_data.user_id)
    if callback_data.user_id == actor.user_id:
        replies.add(edit(callback, views.left(language, actor)))
    else:
        listed = await members.list_members(session, actor=actor)
        replies.add(edit(callback, views.member_list(language, actor, listed, offset=0)))
    return callback.answer(gettext(language, "team.mem.removed"))


async def ask_leave(
    callback: CallbackQuery, actor: Actor | None, language: Language, replies: Replies
) -> AnswerCallbackQuery:
    replies.add(edit(callback, views.confirm_leave(language, member(actor))))
    return callback.answer()


async def leave(
    callback: CallbackQuery,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    await members.leave_company(session, actor=actor)
    replies.add(edit(callback, views.left(language, actor)))
    return callback.answer()


def register(router: Router) -> None:
    router.message.register(list_command, Command("members"))
    on = MemberCallback.filter
    for handler, rule in (
        (show_page, F.action == MemberAction.PAGE),
        (open_card, F.action == MemberAction.OPEN),
        (change_role, (F.action == MemberAction.ROLE) & F.role),
        (ask_remove, F.action == MemberAction.REMOVE),
        (remove, F.action == MemberAction.REMOVE_CONFIRMED),
        (ask_leave, F.action == MemberAction.LEAVE),
        (leave, F.action == MemberAction.LEAVE_CONFIRMED),
    ):
        router.callback_query.register(handler, on(rule))
