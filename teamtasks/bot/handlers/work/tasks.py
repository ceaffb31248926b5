"""Creating and opening tasks: `/new [title]`, `/task 12`, `#12`, and the card's own buttons."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import TaskAction, TaskCallback
from teamtasks.bot.filters import TEXT_ANSWER, Magic
from teamtasks.bot.handlers.work.common import (
    WorkInput,
    answered,
    ask,
    asked,
    edit_message,
    in_place,
    send,
    send_to,
)
from teamtasks.bot.mentions import text_mentions
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.task_card import CARD_COMMENTS, card_screen
from teamtasks.bot.views.work import Screen, notice, t
from teamtasks.models.enums import Language
from teamtasks.services import comments, quick_add, tasks
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.comments import CommentEntry
from teamtasks.services.paging import Page

TASK_REFERENCE = re.compile(r"#?(\d{1,18})")
"""`12` or `#12` (more digits than any number can have are not a reference)."""
NO_COMMENTS: Page[CommentEntry] = Page(items=[], offset=0, limit=CARD_COMMENTS, has_more=False)
"""What a task just created has."""


async def card_of(
    session: AsyncSession,
    actor: Actor,
    language: Language,
    number: int,
    *,
    header: str | None = None,
) -> Screen:
    """The card of task #number of the actor's company, with its latest comments."""
    card = await tasks.get_task_card(session, actor=actor, number=number)
    latest = await comments.list_comments(session, actor=actor, number=number, limit=CARD_COMMENTS)
    return card_screen(card, latest, actor, language, header=header)


async def refresh_card(
    chat_id: int,
    values: dict[str, Any],
    session: AsyncSession,
    actor: Actor,
    language: Language,
    replies: Replies,
) -> None:
    """Show the card a question was asked from (`values["card"]`) again, with the change."""
    card_id = values.get("card")
    if isinstance(card_id, int):
        screen = await card_of(session, actor, language, int(values["number"]))
        replies.add(edit_message(chat_id, card_id, screen))


async def new_task(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    """`/new Fix the login page @anna tomorrow 18:00` creates at once (see quick_add.py);
    `/new` alone asks for the title."""
    actor = member(actor)
    if not command.args:
        require(actor, Permission.WORK_ON_TASKS)
        await ask(state, WorkInput.task_title, actor, project_id=None)
        return send(message, notice(language, "work.ask.task_title"))
    return await _create_from_line(
        message, bot, session, actor, language, command.args, project_id=None
    )


async def title_given(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    """The answer to `/new` alone reads like the rest of a `/new` line."""
    actor = member(actor)
    values = await asked(state, actor)
    project_id = values.get("project_id")
    reply = await _create_from_line(
        message,
        bot,
        session,
        actor,
        language,
        message.text or "",
        project_id=project_id if isinstance(project_id, int) else None,
    )
    await answered(state)
    return reply


async def _create_from_line(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    language: Language,
    text: str,
    *,
    project_id: int | None,
) -> SendMessage:
    ignore = (await bot.me()).username if "@" in text else None
    line = quick_add.parse(
        text, timezone=actor.timezone, ignore=ignore, mentions=text_mentions(message, text)
    )
    if not line.assigned and line.due_at is None:
        return await _create(message, session, actor, language, line.title, project_id=project_id)
    task = await quick_add.create(session, actor=actor, line=line, project_id=project_id)
    header = t(language, "work.task.created", number=task.number)
    return send(message, await card_of(session, actor, language, task.number, header=header))


async def _create(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    language: Language,
    title: str,
    *,
    project_id: int | None,
) -> SendMessage:
    task = await tasks.create_task(session, actor=actor, title=title, project_id=project_id)
    card = await tasks.created_card(session, actor=actor, task=task)
    header = t(language, "work.task.created", number=task.number)
    return send(message, card_screen(card, NO_COMMENTS, actor, language, header=header))


async def open_by_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
) -> SendMessage:
    """`/task 12` or `/task #12`."""
    actor = member(actor)
    found = TASK_REFERENCE.fullmatch((command.args or "").strip())
    if found is None:
        return send(message, notice(language, "work.task.usage"))
    return send(message, await card_of(session, actor, language, int(found[1])))


async def open_by_reference(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    """A message that is only `#12`."""
    actor = member(actor)
    found = TASK_REFERENCE.fullmatch((message.text or "").strip())
    if found is None:
        return send(message, notice(language, "work.task.usage"))
    return send(message, await card_of(session, actor, language, int(found[1])))


async def open_card(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    """A task's button in a list sends its card; Back on the card shows the card in place."""
    actor = member(actor)
    screen = await card_of(session, actor, language, callback_data.number)
    if callback_data.action is TaskAction.OPEN:
        return send_to(callback, replies, screen)
    return in_place(callback, replies, screen)


def register(router: Router) -> None:
    router.message.register(new_task, Command("new"))
    router.message.register(open_by_command, Command("task"))
    router.message.register(title_given, StateFilter(WorkInput.task_title), TEXT_ANSWER)
    router.message.register(
        open_by_reference, StateFilter(None), Magic(F.text.regexp(r"^\s*#\d+\s*$"))
    )
    router.callback_query.register(
        open_card, TaskCallback.filter(F.action.in_({TaskAction.OPEN, TaskAction.CARD}))
    )
