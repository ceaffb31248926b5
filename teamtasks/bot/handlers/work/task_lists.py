"""Lists of tasks: `/my`, `/tasks` (by status, overdue), a project's tasks, `/search <text>`.

Each list is paged with buttons that edit it in place. A search's text does not fit in a
button, so the last search is kept in the FSM data under a short key that its buttons carry; a
button of an older search gets an alert instead of another search's results.
"""

from __future__ import annotations

import hashlib

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import ListKind, TaskListCallback
from teamtasks.bot.handlers.work.common import id_or_none, in_place, require_page, send
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.task_lists import ALL_MINE, TaskList, list_screen
from teamtasks.bot.views.work import notice
from teamtasks.models import Task
from teamtasks.models.enums import Language, TaskStatus
from teamtasks.services import projects, task_lists
from teamtasks.services.actors import Actor
from teamtasks.services.errors import InvalidInput, NotFound
from teamtasks.services.paging import Page
from teamtasks.services.validation import choice, clean_line

SEARCH = "work_search"


async def my_tasks(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    actor = member(actor)
    page = await task_lists.list_my_tasks(session, actor=actor, open_only=True)
    return send(message, list_screen(page, TaskList(ListKind.MY), actor, language))


async def all_tasks(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    """`/tasks`: the tasks to do, with buttons for the other statuses and the overdue ones."""
    actor = member(actor)
    page = await task_lists.list_tasks_by_status(session, actor=actor, status=TaskStatus.TODO)
    which = TaskList(ListKind.STATUS, TaskStatus.TODO.value)
    return send(message, list_screen(page, which, actor, language))


async def search(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    actor = member(actor)
    if not command.args or not command.args.strip():
        return send(message, notice(language, "work.search.usage"))
    page = await task_lists.search_tasks(session, actor=actor, query=command.args)
    query = clean_line(command.args, max_length=task_lists.QUERY_MAX)
    key = hashlib.sha256(query.encode()).hexdigest()[:10]
    await state.update_data({SEARCH: {"key": key, "query": query, "company_id": actor.company_id}})
    which = TaskList(ListKind.SEARCH, key, query)
    return send(message, list_screen(page, which, actor, language))


async def turn_page(
    callback: CallbackQuery,
    callback_data: TaskListCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    """A list's paging or filter button: the list's page shown in place."""
    actor = member(actor)
    page, which = await _page(session, actor, state, callback_data)
    require_page(page)
    return in_place(callback, replies, list_screen(page, which, actor, language))


async def _page(
    session: AsyncSession, actor: Actor, state: FSMContext, wanted: TaskListCallback
) -> tuple[Page[Task], TaskList]:
    kind, value, offset = wanted.kind, wanted.value, wanted.offset
    if kind is ListKind.MY:
        if value not in ("", ALL_MINE):
            raise InvalidInput("errors.invalid.choice")
        page = await task_lists.list_my_tasks(
            session, actor=actor, open_only=not value, offset=offset
        )
        return page, TaskList(kind, value)
    if kind is ListKind.STATUS:
        status = choice(TaskStatus, value)
        page = await task_lists.list_tasks_by_status(
            session, actor=actor, status=status, offset=offset
        )
        return page, TaskList(kind, status.value)
    if kind is ListKind.OVERDUE:
        return await task_lists.list_overdue_tasks(session, actor=actor, offset=offset), TaskList(
            kind
        )
    if kind is ListKind.PROJECT:
        project_id = id_or_none(value) or 0
        project = await projects.get_project(session, actor=actor, project_id=project_id)
        page = await task_lists.list_project_tasks(
            session, actor=actor, project_id=project.id, offset=offset
        )
        return page, TaskList(kind, str(project.id), project.name)
    if kind is ListKind.GROUP:
        of_project = id_or_none(value)
        name = actor.company_name
        if of_project is not None:
            name = (await projects.get_project(session, actor=actor, project_id=of_project)).name
        page = await task_lists.list_open_tasks(
            session, actor=actor, project_id=of_project, offset=offset
        )
        return page, TaskList(kind, value, name)
    remembered = (await state.get_data()).get(SEARCH)
    if (
        not isinstance(remembered, dict)
        or remembered.get("key") != value
        or remembered.get("company_id") != actor.company_id
    ):
        raise NotFound("work.search.outdated")
    query = str(remembered["query"])
    page = await task_lists.search_tasks(session, actor=actor, query=query, offset=offset)
    return page, TaskList(kind, value, query)


def register(router: Router) -> None:
    router.message.register(my_tasks, Command("my"))
    router.message.register(all_tasks, Command("tasks"))
    router.message.register(search, Command("search"))
    router.callback_query.register(turn_page, TaskListCallback.filter())
