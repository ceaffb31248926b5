"""Comments: the card's Comment button asks for the text; Comments shows them page by page."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import CommentsCallback, TaskAction, TaskCallback
from teamtasks.bot.filters import TEXT_ANSWER
from teamtasks.bot.handlers.work.common import (
    WorkInput,
    answered,
    answers_question,
    ask_by_button,
    asked,
    in_place,
    require_page,
    send,
)
from teamtasks.bot.handlers.work.tasks import refresh_card
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.comments import PAGE_SIZE, comments_screen
from teamtasks.bot.views.work import notice
from teamtasks.models.enums import Language
from teamtasks.services import comments, tasks
from teamtasks.services.actors import Actor, Permission, require


async def ask_comment(
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
    require(actor, Permission.WORK_ON_TASKS)
    task = await tasks.get_task(session, actor=actor, number=callback_data.number)
    screen = notice(language, "work.ask.comment", number=task.number)
    return await ask_by_button(
        callback,
        bot,
        state,
        replies,
        WorkInput.comment,
        actor,
        language,
        screen,
        number=task.number,
    )


async def comment_given(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> SendMessage:
    actor = member(actor)
    values = await asked(state, actor)
    number = int(values["number"])
    await comments.add_comment(session, actor=actor, number=number, text=message.text or "")
    await answered(state)
    await refresh_card(message.chat.id, values, session, actor, language, replies)
    return send(message, notice(language, "work.comment.added", number=number))


async def show_comments(
    callback: CallbackQuery,
    callback_data: CommentsCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    page = await comments.list_comments(
        session,
        actor=actor,
        number=callback_data.number,
        limit=PAGE_SIZE,
        offset=callback_data.offset,
    )
    require_page(page)
    return in_place(callback, replies, comments_screen(callback_data.number, page, actor, language))


def register(router: Router) -> None:
    router.message.register(
        comment_given, StateFilter(WorkInput.comment), TEXT_ANSWER, answers_question
    )
    router.callback_query.register(ask_comment, TaskCallback.filter(F.action == TaskAction.COMMENT))
    router.callback_query.register(show_comments, CommentsCallback.filter())
