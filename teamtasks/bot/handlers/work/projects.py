"""Projects: `/projects` lists them page by page; a project's view opens its tasks, takes a new
task, and (owners and managers) renames, archives and restores it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import ProjectAction, ProjectCallback
from teamtasks.bot.filters import TEXT_ANSWER
from teamtasks.bot.handlers.work.common import (
    WorkInput,
    answered,
    ask,
    asked,
    in_place,
    require_page,
    send,
    send_to,
)
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.projects import NAME_UNITS, project_screen, projects_screen
from teamtasks.bot.views.work import notice, safe, t
from teamtasks.models.enums import Language
from teamtasks.services import projects
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import Conflict


async def list_projects(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    actor = member(actor)
    page = await projects.list_projects(session, actor=actor)
    return send(message, projects_screen(page, actor, language, archived=False))


async def turn_page(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    page = await projects.list_projects(
        session,
        actor=actor,
        include_archived=callback_data.archived,
        offset=callback_data.offset,
    )
    require_page(page)
    screen = projects_screen(page, actor, language, archived=callback_data.archived)
    return in_place(callback, replies, screen)


async def open_project(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    project = await projects.get_project(session, actor=actor, project_id=callback_data.project_id)
    return in_place(callback, replies, project_screen(project, actor, language))


async def archive(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    project = await projects.archive_project(
        session, actor=actor, project_id=callback_data.project_id
    )
    screen = project_screen(project, actor, language)
    return in_place(callback, replies, screen, t(language, "work.toast.archived"))


async def restore(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    project = await projects.restore_project(
        session, actor=actor, project_id=callback_data.project_id
    )
    screen = project_screen(project, actor, language)
    return in_place(callback, replies, screen, t(language, "work.toast.restored"))


async def ask_name(
    callback: CallbackQuery,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    """New project: its name is asked."""
    actor = member(actor)
    require(actor, Permission.MANAGE_PROJECTS)
    await ask(state, WorkInput.project_name, actor)
    return send_to(callback, replies, notice(language, "work.ask.project_name"))


async def ask_new_name(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    require(actor, Permission.MANAGE_PROJECTS)
    project = await projects.get_project(session, actor=actor, project_id=callback_data.project_id)
    await ask(state, WorkInput.project_rename, actor, project_id=project.id)
    name = safe(project.name, NAME_UNITS)
    return send_to(callback, replies, notice(language, "work.ask.project_rename", name=name))


async def ask_task_title(
    callback: CallbackQuery,
    callback_data: ProjectCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    replies: Replies,
) -> AnswerCallbackQuery:
    """New task in this project: its title is asked (`/new` then takes it)."""
    actor = member(actor)
    require(actor, Permission.WORK_ON_TASKS)
    project = await projects.get_project(session, actor=actor, project_id=callback_data.project_id)
    if project.archived_at is not None:
        raise Conflict("errors.conflict.project_archived")
    await ask(state, WorkInput.task_title, actor, project_id=project.id)
    name = safe(project.name, NAME_UNITS)
    return send_to(callback, replies, notice(language, "work.ask.task_title_in", name=name))


async def name_given(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    actor = member(actor)
    await asked(state, actor)
    project = await projects.create_project(session, actor=actor, name=message.text or "")
    await answered(state)
    header = t(language, "work.project.created")
    return send(message, project_screen(project, actor, language, header=header))


async def new_name_given(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
) -> SendMessage:
    actor = member(actor)
    values = await asked(state, actor)
    project = await projects.rename_project(
        session, actor=actor, project_id=int(values["project_id"]), name=message.text or ""
    )
    await answered(state)
    header = t(language, "work.project.renamed")
    return send(message, project_screen(project, actor, language, header=header))


def register(router: Router) -> None:
    router.message.register(list_projects, Command("projects"))
    router.message.register(name_given, StateFilter(WorkInput.project_name), TEXT_ANSWER)
    router.message.register(new_name_given, StateFilter(WorkInput.project_rename), TEXT_ANSWER)
    for action, handler in (
        (ProjectAction.LIST, turn_page),
        (ProjectAction.OPEN, open_project),
        (ProjectAction.ARCHIVE, archive),
        (ProjectAction.RESTORE, restore),
        (ProjectAction.NEW, ask_name),
        (ProjectAction.RENAME, ask_new_name),
        (ProjectAction.NEW_TASK, ask_task_title),
    ):
        router.callback_query.register(handler, ProjectCallback.filter(F.action == action))
