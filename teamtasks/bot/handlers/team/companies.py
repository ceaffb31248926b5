"""`/company`: my companies, switching the active one; for owners, rename and time zone."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.team import CompanyAction, CompanyCallback
from teamtasks.bot.filters import TEXT_ANSWER
from teamtasks.bot.handlers.team.common import answer, edit, send
from teamtasks.bot.handlers.team.states import CompanySettings
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team as views
from teamtasks.models import User
from teamtasks.models.enums import Language
from teamtasks.services import companies
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import Conflict

_NOT_ACTIVE = "team.co.not_active"


def _owner_in(actor: Actor | None, company_id: int) -> Actor:
    """The actor, if `company_id` (from a button or a conversation) is still the active company."""
    actor = member(actor)
    if company_id != actor.company_id:
        raise Conflict(_NOT_ACTIVE)
    require(actor, Permission.MANAGE_COMPANY)
    return actor


async def list_companies(
    message: Message, session: AsyncSession, user: User, language: Language, actor: Actor | None
) -> SendMessage:
    choices = await companies.list_my_companies(session, user=user)
    return answer(message, views.company_list(language, choices, actor))


async def show_companies(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    language: Language,
    actor: Actor | None,
    replies: Replies,
) -> AnswerCallbackQuery:
    choices = await companies.list_my_companies(session, user=user)
    replies.add(edit(callback, views.company_list(language, choices, actor)))
    return callback.answer()


async def switch(
    callback: CallbackQuery,
    callback_data: CompanyCallback,
    session: AsyncSession,
    user: User,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = await companies.switch_company(session, user=user, company_id=callback_data.company_id)
    await state.clear()
    replies.add(edit(callback, views.company_menu(language, actor)))
    return callback.answer()


async def _ask(
    callback: CallbackQuery,
    actor: Actor,
    state: FSMContext,
    step: State,
    replies: Replies,
    view: views.View,
) -> AnswerCallbackQuery:
    await state.set_state(step)
    await state.set_data({"company_id": actor.company_id})
    replies.add(send(callback, view))
    return callback.answer()


async def ask_name(
    callback: CallbackQuery,
    callback_data: CompanyCallback,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = _owner_in(actor, callback_data.company_id)
    view = views.ask_new_company_name(language, actor)
    return await _ask(callback, actor, state, CompanySettings.name, replies, view)


async def ask_timezone_name(
    callback: CallbackQuery,
    callback_data: CompanyCallback,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = _owner_in(actor, callback_data.company_id)
    view = views.ask_timezone_name(language)
    return await _ask(callback, actor, state, CompanySettings.timezone, replies, view)


async def _conversation_actor(actor: Actor | None, state: FSMContext) -> Actor:
    """The owner still in the company the conversation began in; else the conversation ends."""
    company_id = (await state.get_data()).get("company_id")
    if actor is None or company_id != actor.company_id:
        await state.clear()
        raise Conflict(_NOT_ACTIVE)
    return actor


async def rename(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    actor = await _conversation_actor(actor, state)
    company = await companies.rename_company(session, actor=actor, name=message.text or "")
    await state.clear()
    return answer(message, views.company_renamed(language, company))


async def choose_timezone(
    callback: CallbackQuery,
    callback_data: CompanyCallback,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = _owner_in(actor, callback_data.company_id)
    replies.add(edit(callback, views.timezone_choice(language, actor)))
    return callback.answer()


async def set_timezone(
    callback: CallbackQuery,
    callback_data: CompanyCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = _owner_in(actor, callback_data.company_id)
    company = await companies.set_timezone(session, actor=actor, timezone=callback_data.zone)
    replies.add(edit(callback, views.timezone_set(language, company)))
    return callback.answer()


async def typed_timezone(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    actor = await _conversation_actor(actor, state)
    company = await companies.set_timezone(session, actor=actor, timezone=message.text or "")
    await state.clear()
    return answer(message, views.timezone_set(language, company))


def register(router: Router) -> None:
    router.message.register(list_companies, Command("company"))
    router.message.register(rename, StateFilter(CompanySettings.name), TEXT_ANSWER)
    router.message.register(typed_timezone, StateFilter(CompanySettings.timezone), TEXT_ANSWER)
    for handler, action in (
        (show_companies, CompanyAction.LIST),
        (switch, CompanyAction.SWITCH),
        (ask_name, CompanyAction.RENAME),
        (choose_timezone, CompanyAction.TIMEZONES),
        (set_timezone, CompanyAction.SET_TIMEZONE),
        (ask_timezone_name, CompanyAction.TYPE_TIMEZONE),
    ):
        router.callback_query.register(handler, CompanyCallback.filter(F.action == action))
