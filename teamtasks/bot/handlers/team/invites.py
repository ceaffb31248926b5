"""`/invite` (role, expiry and use limit chosen by buttons), `/invites` (list), revoke."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.team import InviteAction, InviteCallback
from teamtasks.bot.handlers.team.common import answer, edit, send
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team_invites as views
from teamtasks.bot.views.team import View
from teamtasks.i18n import gettext
from teamtasks.models.enums import Language, Role
from teamtasks.services import invites
from teamtasks.services.actors import Actor, Permission, require


def _first_step(actor: Actor | None, language: Language) -> View:
    """Owners choose the role; managers invite members only, so they start at the expiry."""
    actor = member(actor)
    require(actor, Permission.INVITE_MEMBERS)
    if actor.can(Permission.INVITE_MANAGERS):
        return views.role_choice(language)
    return views.ttl_choice(language, Role.MEMBER)


async def _bot_username(bot: Bot) -> str:
    """The bot's @username for t.me links (aiogram asks getMe once and keeps the answer)."""
    return (await bot.me()).username or ""


async def invite_command(message: Message, actor: Actor | None, language: Language) -> SendMessage:
    return answer(message, _first_step(actor, language))


async def new_invite(
    callback: CallbackQuery, actor: Actor | None, language: Language, replies: Replies
) -> AnswerCallbackQuery:
    replies.add(send(callback, _first_step(actor, language)))
    return callback.answer()


async def chose_role(
    callback: CallbackQuery,
    callback_data: InviteCallback,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    require(member(actor), Permission.INVITE_MEMBERS)
    assert callback_data.role is not None  # the filter lets only complete data through
    replies.add(edit(callback, views.ttl_choice(language, callback_data.role)))
    return callback.answer()


async def chose_ttl(
    callback: CallbackQuery,
    callback_data: InviteCallback,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    require(member(actor), Permission.INVITE_MEMBERS)
    role, ttl = callback_data.role, callback_data.ttl
    assert role is not None  # the filter lets only complete data through
    assert ttl is not None
    replies.add(edit(callback, views.uses_choice(language, role, ttl)))
    return callback.answer()


async def create(
    callback: CallbackQuery,
    callback_data: InviteCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    bot: Bot,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    role, ttl, uses = callback_data.role, callback_data.ttl, callback_data.uses
    assert role is not None  # the filter lets only complete data through
    assert ttl is not None
    assert uses is not None
    invite = await invites.create_invite(
        session,
        actor=actor,
        role=role,
        ttl=ttl.duration,
        max_uses=uses.max_uses,
    )
    view = views.invite_created(language, actor, invite, await _bot_username(bot))
    replies.add(edit(callback, view))
    return callback.answer()


async def list_command(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language, bot: Bot
) -> SendMessage:
    actor = member(actor)
    active = await invites.list_active_invites(session, actor=actor)
    return answer(message, views.invite_list(language, actor, active, await _bot_username(bot)))


async def show_list(
    callback: CallbackQuery,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    bot: Bot,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    active = await invites.list_active_invites(session, actor=actor)
    replies.add(
        edit(callback, views.invite_list(language, actor, active, await _bot_username(bot)))
    )
    return callback.answer()


async def revoke(
    callback: CallbackQuery,
    callback_data: InviteCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    invite = await invites.revoke_invite(session, actor=actor, invite_id=callback_data.invite_id)
    replies.add(edit(callback, views.invite_revoked(language, actor, invite)))
    return callback.answer(gettext(language, "team.inv.revoked_alert"))


def register(router: Router) -> None:
    router.message.register(invite_command, Command("invite"))
    router.message.register(list_command, Command("invites"))
    on = InviteCallback.filter
    router.callback_query.register(new_invite, on(F.action == InviteAction.NEW))
    router.callback_query.register(chose_role, on((F.action == InviteAction.ROLE) & F.role))
    router.callback_query.register(chose_ttl, on((F.action == InviteAction.TTL) & F.role & F.ttl))
    router.callback_query.register(
        create, on((F.action == InviteAction.CREATE) & F.role & F.ttl & F.uses)
    )
    router.callback_query.register(show_list, on(F.action == InviteAction.LIST))
    router.callback_query.register(revoke, on(F.action == InviteAction.REVOKE))
