"""The card's choices: status, priority, assignee and project, each a menu in place of the
card's buttons and a change that shows the card again.

A canceled task's card offers only its status and comments; a stale button of another action
on it is refused with an alert that says to reopen the task first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import TaskAction, TaskCallback
from teamtasks.bot.handlers.work.common import id_or_none, in_place, offset_of
from teamtasks.bot.handlers.work.tasks import card_of
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.task_card import (
    MENU_PAGE,
    assignee_menu,
    members_page,
    priority_menu,
    project_menu,
    status_menu,
)
from teamtasks.bot.views.work import t
from teamtasks.models import Task
from teamtasks.models.enums import Language, TaskPriority, TaskStatus
from teamtasks.services import members, projects, tasks
from teamtasks.services.actors import Actor
from teamtasks.services.errors import Conflict
from teamtasks.services.validation import choice


async def editable(session: AsyncSession, actor: Actor, number: int) -> Task:
    """Task #number, unless it is canceled (its card no longer offers this button)."""
    task = await tasks.get_task(session, actor=actor, number=number)
    if task.status is TaskStatus.CANCELED:
        raise Conflict("work.task.canceled", number=number)
    return task


def _menu(
    callback: CallbackQuery, replies: Replies, markup: InlineKeyboardMarkup
) -> AnswerCallbackQuery:
    if callback.message is not None:
        replies.add(
            EditMessageReplyMarkup(
                chat_id=callback.message.chat.id,
                message_id=callback.message.message_id,
                reply_markup=markup,
            )
        )
    return callback.answer()


async def show_status_menu(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    task = await tasks.get_task(session, actor=member(actor), number=callback_data.number)
    return _menu(callback, replies, status_menu(task, language))


async def show_priority_menu(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    task = await editable(session, member(actor), callback_data.number)
    return _menu(callback, replies, priority_menu(task, language))


async def show_assignee_menu(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    task = await editable(session, actor, callback_data.number)
    people = await members.list_members(session, actor=actor)
    page = members_page(people, offset_of(callback_data.value))
    return _menu(callback, replies, assignee_menu(task, page, language))


async def show_project_menu(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    task = await editable(session, actor, callback_data.number)
    page = await projects.list_projects(
        session, actor=actor, limit=MENU_PAGE, offset=offset_of(callback_data.value)
    )
    if not page.items and page.offset == 0 and task.project_id is None:
        return callback.answer(t(language, "work.task.no_projects"), show_alert=True)
    return _menu(callback, replies, project_menu(task, page, language))


async def _status(session: AsyncSession, actor: Actor, number: int, value: str) -> Task:
    # Status stays open on a canceled task: it is how a task is reopened.
    status = choice(TaskStatus, value)
    return await tasks.set_status(session, actor=actor, number=number, status=status)


async def _priority(session: AsyncSession, actor: Actor, number: int, value: str) -> Task:
    priority = choice(TaskPriority, value)
    await editable(session, actor, number)
    return await tasks.set_priority(session, actor=actor, number=number, priority=priority)


async def _assignee(session: AsyncSession, actor: Actor, number: int, value: str) -> Task:
    assignee_id = id_or_none(value)
    await editable(session, actor, number)
    return await tasks.assign_task(session, actor=actor, number=number, assignee_id=assignee_id)


async def _project(session: AsyncSession, actor: Actor, number: int, value: str) -> Task:
    project_id = id_or_none(value)
    await editable(session, actor, number)
    return await tasks.move_to_project(session, actor=actor, number=number, project_id=project_id)


Change = Callable[[AsyncSession, Actor, int, str], Awaitable[Task]]
CHANGES: dict[TaskAction, Change] = {
    TaskAction.STATUS: _status,
    TaskAction.PRIORITY: _priority,
    TaskAction.ASSIGN: _assignee,
    TaskAction.PROJECT: _project,
}
"""A pressed choice of a card's menu: parse the button's value, change the task."""


async def change(
    callback: CallbackQuery,
    callback_data: TaskCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    apply = CHANGES[callback_data.action]
    task = await apply(session, actor, callback_data.number, callback_data.value)
    return await _show_changed(callback, session, actor, language, replies, task)


async def _show_changed(
    callback: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    language: Language,
    replies: Replies,
    task: Task,
) -> AnswerCallbackQuery:
    screen = await card_of(session, actor, language, task.number)
    return in_place(callback, replies, screen, t(language, "work.toast.saved"))


def register(router: Router) -> None:
    handlers = {
        TaskAction.STATUS_MENU: show_status_menu,
        TaskAction.PRIORITY_MENU: show_priority_menu,
        TaskAction.ASSIGNEE_MENU: show_assignee_menu,
        TaskAction.PROJECT_MENU: show_project_menu,
    }
    handlers.update(dict.fromkeys(CHANGES, change))
    for action, handler in handlers.items():
        router.callback_query.register(handler, TaskCallback.filter(F.action == action))
