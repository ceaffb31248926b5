"""`/start`: the greeting, creating a company, joining by an invite link; `/cancel`."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.team import OnboardingAction, OnboardingCallback
from teamtasks.bot.filters import TEXT_ANSWER, Magic
from teamtasks.bot.handlers.team.common import answer, send
from teamtasks.bot.handlers.team.states import TEXT_STATES, Onboarding
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team as views
from teamtasks.models import User
from teamtasks.models.enums import Language
from teamtasks.services import companies, invites
from teamtasks.services.actors import Actor

_PAYLOAD_IN_TEXT = re.compile(rf"{invites.PAYLOAD_PREFIX}[A-Za-z0-9_-]+")


async def start(
    message: Message, user: User, language: Language, actor: Actor | None, state: FSMContext
) -> SendMessage:
    await state.clear()
    if actor is None:
        return answer(message, views.welcome(language, user))
    return answer(message, views.menu(language, user, actor))


async def join(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    token = invites.token_from_payload(command.args or "") or ""
    result = await invites.join_by_token(session, user=user, token=token)
    await state.clear()
    return answer(message, views.joined(language, user, result))


async def ask_company_name(
    callback: CallbackQuery, language: Language, state: FSMContext, replies: Replies
) -> AnswerCallbackQuery:
    await state.set_state(Onboarding.company_name)
    replies.add(send(callback, views.ask_company_name(language)))
    return callback.answer()


async def company_name(
    message: Message, session: AsyncSession, user: User, language: Language, state: FSMContext
) -> SendMessage:
    company = await companies.create_company(session, user=user, name=message.text or "")
    await state.clear()
    return answer(message, views.company_created(language, company))


async def ask_invite_link(
    callback: CallbackQuery, language: Language, state: FSMContext, replies: Replies
) -> AnswerCallbackQuery:
    await state.set_state(Onboarding.invite_link)
    replies.add(send(callback, views.ask_invite_link(language)))
    return callback.answer()


async def invite_link(
    message: Message, session: AsyncSession, user: User, language: Language, state: FSMContext
) -> SendMessage:
    """A pasted link (or its `inv_<token>` part), for people who cannot open it."""
    found = _PAYLOAD_IN_TEXT.search(message.text or "")
    token = invites.token_from_payload(found[0]) if found else None
    result = await invites.join_by_token(session, user=user, token=token or "")
    await state.clear()
    return answer(message, views.joined(language, user, result))


async def text_expected(message: Message, language: Language) -> SendMessage:
    return answer(message, views.plain(language, "team.onb.text_expected"))


async def cancel(message: Message, language: Language, state: FSMContext) -> SendMessage:
    """Leave whatever conversation state the user is in (ours or any other area's)."""
    key = "team.cancel.nothing" if await state.get_state() is None else "team.cancel.done"
    await state.clear()
    return answer(message, views.plain(language, key))


def register(router: Router) -> None:
    router.message.register(
        join, CommandStart(deep_link=True, magic=F.args.startswith(invites.PAYLOAD_PREFIX))
    )
    router.message.register(start, CommandStart())
    router.message.register(cancel, Command("cancel"))
    router.message.register(company_name, StateFilter(Onboarding.company_name), TEXT_ANSWER)
    router.message.register(invite_link, StateFilter(Onboarding.invite_link), TEXT_ANSWER)
    router.message.register(text_expected, StateFilter(*TEXT_STATES), Magic(~F.text))
    router.callback_query.register(
        ask_company_name, OnboardingCallback.filter(F.action == OnboardingAction.CREATE)
    )
    router.callback_query.register(
        ask_invite_link, OnboardingCallback.filter(F.action == OnboardingAction.JOIN)
    )
