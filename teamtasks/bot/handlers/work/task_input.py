"""What the card asks to be typed: the due date ("завтра 18:00", "tomorrow 6pm") and the
description; each can also be removed with a button under the question.

The answer is applied to the task the question was about, and the card it was asked from is
shown again in place with the change.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import TaskAction, TaskCallback
from teamtasks.bot.filters import TEXT_ANSWER
from teamtasks.bot.handlers.work.common import (
    WorkInput,
    answered,
    answers_question,
    ask_by_button,
    asked,
    drop_question,
    in_place,
    send,
)
from teamtasks.bot.handlers.work.task_card import editable
from teamtasks.bot.handlers.work.tasks import refresh_card
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.task_card import description_prompt, due_prompt
from teamtasks.bot.views.work import notice
from teamtasks.models.enums import Language
from teamtasks.services import due_dates, tasks
from teamtasks.services.actors import Actor


async def ask_due(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    task = await editable(session, actor, callback_data.number)
    screen = due_prompt(task, actor, language)
    return await ask_by_button(
        callback, bot, state, replies, WorkInput.due, actor, language, screen, number=task.number
    )


async def ask_description(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    task = await editable(session, actor, callback_data.number)
    screen = description_prompt(task, language)
    return await ask_by_button(
        callback,
        bot,
        state,
        replies,
        WorkInput.description,
        actor,
        language,
        screen,
        number=task.number,
    )


async def due_given(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> SendMessage:
    actor = member(actor)
    values = await asked(state, actor)
    due_at = due_dates.parse_due(message.text or "", timezone=actor.timezone)
    task = await tasks.set_due(session, actor=actor, number=values["number"], due_at=due_at)
    await answered(state)
    await refresh_card(message.chat.id, values, session, actor, language, replies)
    shown = due_dates.format_due(due_at, actor.timezone, language)
    return send(message, notice(language, "work.due.set", number=task.number, due=shown))


async def description_given(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> SendMessage:
    actor = member(actor)
    values = await asked(state, actor)
    task = await tasks.set_description(
        session, actor=actor, number=values["number"], description=message.text or ""
    )
    await answered(state)
    await refresh_card(message.chat.id, values, session, actor, language, replies)
    return send(message, notice(language, "work.description.set", number=task.number))


async def clear_due(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    """Remove the due date (the button under the question); the question is answered."""
    actor = member(actor)
    await editable(session, actor, callback_data.number)
    task = await tasks.set_due(session, actor=actor, number=callback_data.number, due_at=None)
    values = await drop_question(state, WorkInput.due, actor, task.number)
    if values is not None and callback.message is not None:
        await refresh_card(callback.message.chat.id, values, session, actor, language, replies)
    return in_place(callback, replies, notice(language, "work.due.cleared", number=task.number))


async def clear_description(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    """Remove the description (the button under the question); the question is answered."""
    actor = member(actor)
    await editable(session, actor, callback_data.number)
    task = await tasks.set_description(
        session, actor=actor, number=callback_data.number, description=None
    )
    values = await drop_question(state, WorkInput.description, actor, task.number)
    if values is not None and callback.message is not None:
        await refresh_card(callback.message.chat.id, values, session, actor, language, replies)
    screen = notice(language, "work.description.cleared", number=task.number)
    return in_place(callback, replies, screen)


def register(router: Router) -> None:
    router.message.register(due_given, StateFilter(WorkInput.due), TEXT_ANSWER, answers_question)
    router.message.register(
        description_given, StateFilter(WorkInput.description), TEXT_ANSWER, answers_question
    )
    for action, handler in (
        (TaskAction.DUE, ask_due),
        (TaskAction.DESCRIPTION, ask_description),
        (TaskAction.DUE_CLEAR, clear_due),
        (TaskAction.DESCRIPTION_CLEAR, clear_description),
    ):
        router.callback_query.register(handler, TaskCallback.filter(F.action == action))
