"""Lists of a company's tasks, each page in one query: mine, by project, by status, overdue, search.

Search is ILIKE on PostgreSQL and lower() LIKE lower() on SQLite, with `%` and `_` escaped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Task
from teamtasks.models.base import utcnow
from teamtasks.models.enums import TaskStatus
from teamtasks.services.actors import Actor
from teamtasks.services.paging import DEFAULT_LIMIT, Page, fetch_page, fetch_paged, paged
from teamtasks.services.projects import get_project
from teamtasks.services.tasks import OPEN_STATUSES
from teamtasks.services.validation import choice, clean_line

QUERY_MAX = 100

_CLOSED_LAST = case((Task.status.in_(OPEN_STATUSES), 0), else_=1)


def _of_company(actor: Actor) -> Select[tuple[Task]]:
    return select(Task).where(Task.company_id == actor.company_id)


def _mine(*conditions: ColumnElement[bool]) -> Select[tuple[Task]]:
    """The actor's tasks: built once (`/my` is among the most frequent updates), see `paged`."""
    mine = select(Task).where(
        Task.company_id == bindparam("company_id"),
        Task.assignee_id == bindparam("user_id"),
        *conditions,
    )
    return paged(mine.order_by(_CLOSED_LAST, Task.due_at.asc().nulls_last(), Task.number.desc()))


_MINE = _mine()
_MINE_OPEN = _mine(Task.status.in_(OPEN_STATUSES))


async def list_my_tasks(
    session: AsyncSession,
    *,
    actor: Actor,
    open_only: bool = False,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Tasks assigned to the actor: open ones first, soonest due first, then newest."""
    params = {"company_id": actor.company_id, "user_id": actor.user_id}
    statement = _MINE_OPEN if open_only else _MINE
    return await fetch_paged(session, statement, params, limit=limit, offset=offset)


async def list_project_tasks(
    session: AsyncSession,
    *,
    actor: Actor,
    project_id: int,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Tasks of a project of the company (archived projects too): open first, then newest."""
    await get_project(session, actor=actor, project_id=project_id)
    statement = (
        _of_company(actor)
        .where(Task.project_id == project_id)
        .order_by(_CLOSED_LAST, Task.number.desc())
    )
    return await fetch_page(session, statement, limit=limit, offset=offset)


async def list_open_tasks(
    session: AsyncSession,
    *,
    actor: Actor,
    project_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Open tasks of a project (None: of the whole company): soonest due first, then newest.

    The project is not looked up: one of another company has none of this company's tasks."""
    statement = _of_company(actor).where(Task.status.in_(OPEN_STATUSES))
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    statement = statement.order_by(Task.due_at.asc().nulls_last(), Task.number.desc())
    return await fetch_page(session, statement, limit=limit, offset=offset)


async def list_tasks_by_status(
    session: AsyncSession,
    *,
    actor: Actor,
    status: TaskStatus,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Tasks in one status, newest first."""
    status = choice(TaskStatus, status)
    statement = _of_company(actor).where(Task.status == status).order_by(Task.number.desc())
    return await fetch_page(session, statement, limit=limit, offset=offset)


async def list_overdue_tasks(
    session: AsyncSession,
    *,
    actor: Actor,
    now: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Open tasks whose due date has passed, the most overdue first."""
    statement = (
        _of_company(actor)
        .where(Task.status.in_(OPEN_STATUSES), Task.due_at < (now or utcnow()))
        .order_by(Task.due_at, Task.number)
    )
    return await fetch_page(session, statement, limit=limit, offset=offset)


async def search_tasks(
    session: AsyncSession,
    *,
    actor: Actor,
    query: str,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Task]:
    """Tasks whose title or description contains the text, in any case; `%` and `_` literal."""
    text = clean_line(query, max_length=QUERY_MAX)
    statement = (
        _of_company(actor)
        .where(
            or_(
                Task.title.icontains(text, autoescape=True),
                Task.description.icontains(text, autoescape=True),
            )
        )
        .order_by(_CLOSED_LAST, Task.number.desc())
    )
    return await fetch_page(session, statement, limit=limit, offset=offset)
