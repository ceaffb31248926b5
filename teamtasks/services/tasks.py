"""Tasks, numbered per company (#12): create, open, and every change the task card offers.

Numbers come from `companies.task_counter`, incremented with one `UPDATE ... RETURNING`, so
concurrent creates wait for each other on the company row and never collide. Tasks are loaded
by (company, number): a number of another company is NotFound. A change that changes nothing
writes nothing. Assignment and status changes tell the assignee and the author (the outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from teamtasks.i18n import gettext
from teamtasks.models import Company, File, Membership, Project, Task, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, TaskPriority, TaskStatus
from teamtasks.services import audit
from teamtasks.services.actors import Actor, Permission, require, require_good_standing
from teamtasks.services.errors import Conflict, InvalidInput, NotFound
from teamtasks.services.notifications import (
    announce_task_event,
    notify_task_event,
    task_line,
)
from teamtasks.services.projects import get_project
from teamtasks.services.users import display_name
from teamtasks.services.validation import MAX_INT4, check_id, choice, clean_line, clean_text

TITLE_MAX = 256
DESCRIPTION_MAX = 4000
OPEN_STATUSES = (TaskStatus.TODO, TaskStatus.IN_PROGRESS)

# Made once: building an alias costs about as much as running the query it is used in.
_ASSIGNEE = aliased(User, name="assignee")
_AUTHOR = aliased(User, name="author")
_FILE_COUNT = (
    select(func.count())
    .select_from(File)
    .where(File.company_id == Task.company_id, File.task_id == Task.id)
    .correlate(Task)
    .scalar_subquery()
)
"""The files of the task a card shows, counted in the card's own query."""

_NEXT_NUMBER = (
    update(Company)
    .where(Company.id == bindparam("company_id"))
    # updated_at kept: a new task number is not a change of the company.
    .values(task_counter=Company.task_counter + 1, updated_at=Company.updated_at)
    .returning(Company.task_counter)
    .execution_options(synchronize_session=False)
)
"""Takes the company's next task number (built once, as every create runs it)."""

_CREATED_COLUMNS = (
    "company_id",
    "title",
    "description",
    "source_chat_id",
    "source_message_id",
    "project_id",
    "author_id",
    "status",
    "priority",
    "created_at",
    "updated_at",
)
# The parameters are prefixed: an UPDATE sets every column whose name a parameter bears.
_NUMBERED = (
    update(Company)
    .where(Company.id == bindparam("task_company_id"))
    .values(task_counter=Company.task_counter + 1, updated_at=Company.updated_at)
    .returning(Company.task_counter.label("number"))
    .cte("numbered")
)
_CREATE_NUMBERED = select(Task).from_statement(
    insert(Task)
    .from_select(
        [*_CREATED_COLUMNS, "number"],
        select(
            *(
                bindparam(f"task_{name}", type_=Task.__table__.c[name].type)
                for name in _CREATED_COLUMNS
            ),
            _NUMBERED.c.number,
        ),
    )
    .returning(Task)
)
"""On PostgreSQL, the number taken and the task inserted in one statement (one round trip)."""


@dataclass(frozen=True)
class TaskCard:
    """A task with the names its card shows (raw text: escape when rendering HTML)."""

    task: Task
    project_name: str | None
    assignee_name: str | None
    author_name: str | None
    file_count: int


def task_not_found(number: int) -> NotFound:
    """The refusal for a task number the company does not have."""
    return NotFound("errors.not_found.task", number=number)


async def get_task(session: AsyncSession, *, actor: Actor, number: int) -> Task:
    """The task #number of the actor's company."""
    check_id(number, task_not_found(number), maximum=MAX_INT4)
    task = await session.scalar(
        select(Task).where(Task.company_id == actor.company_id, Task.number == number)
    )
    if task is None:
        raise task_not_found(number)
    return task


async def get_task_card(session: AsyncSession, *, actor: Actor, number: int) -> TaskCard:
    """The task #number with its project, assignee and author names and its number of
    files, in one query."""
    check_id(number, task_not_found(number), maximum=MAX_INT4)
    row = (
        await session.execute(
            select(Task, Project.name, _ASSIGNEE, _AUTHOR, _FILE_COUNT)
            .outerjoin(
                Project, (Project.id == Task.project_id) & (Project.company_id == Task.company_id)
            )
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Task.assignee_id)
            .outerjoin(_AUTHOR, _AUTHOR.id == Task.author_id)
            .where(Task.company_id == actor.company_id, Task.number == number)
        )
    ).first()
    if row is None:
        raise task_not_found(number)
    task, project_name, assignee_user, author_user, file_count = row
    return TaskCard(
        task=task,
        project_name=project_name,
        assignee_name=display_name(assignee_user) if assignee_user else None,
        author_name=display_name(author_user) if author_user else None,
        file_count=file_count,
    )


async def created_card(session: AsyncSession, *, actor: Actor, task: Task) -> TaskCard:
    """The card of a task the actor has just created: nobody assigned, the actor its author,
    no files.

    Made from rows the session already holds (the actor's user, the project checked when
    creating), so it usually costs no query, where `get_task_card` would select it all again.
    """
    project = await session.get(Project, task.project_id) if task.project_id is not None else None
    return TaskCard(
        task=task,
        project_name=project.name if project is not None else None,
        assignee_name=None,
        author_name=await _actor_name(session, actor),
        file_count=0,
    )


async def create_task(
    session: AsyncSession,
    *,
    actor: Actor,
    title: str,
    project_id: int | None = None,
    description: str | None = None,
    source: tuple[int, int] | None = None,
) -> Task:
    """A new task numbered next in the company, authored by the actor; `source`: the group
    chat and the message it was made from."""
    require(actor, Permission.WORK_ON_TASKS)
    require_good_standing(actor)
    clean_title = clean_line(title, max_length=TITLE_MAX)
    text = None
    if description is not None and description.strip():
        text = clean_text(description, max_length=DESCRIPTION_MAX)
    if project_id is not None:
        await _open_project(session, actor, project_id)
    task = await _insert_numbered(
        session, actor, _NewTask(clean_title, project_id, text, *(source or (None, None)))
    )
    event = audit.record_by(
        session, actor, "task.created", "task", task.id, number=task.number, project_id=project_id
    )
    await announce_task_event(session, actor=actor, task=task, event=event, what="created")
    return task


@dataclass(frozen=True)
class _NewTask:
    title: str
    project_id: int | None
    description: str | None
    source_chat_id: int | None
    source_message_id: int | None


async def _insert_numbered(session: AsyncSession, actor: Actor, new: _NewTask) -> Task:
    if session.get_bind().dialect.name == "postgresql":
        now = utcnow()
        params = {
            "task_company_id": actor.company_id,
            "task_title": new.title,
            "task_description": new.description,
            "task_source_chat_id": new.source_chat_id,
            "task_source_message_id": new.source_message_id,
            "task_project_id": new.project_id,
            "task_author_id": actor.user_id,
            "task_status": TaskStatus.TODO,
            "task_priority": TaskPriority.NORMAL,
            "task_created_at": now,
            "task_updated_at": now,
        }
        task: Task | None = await session.scalar(_CREATE_NUMBERED, params)
        if task is None:
            raise NotFound("errors.not_found.company")
        return task
    number = await session.scalar(_NEXT_NUMBER, {"company_id": actor.company_id})
    if number is None:
        raise NotFound("errors.not_found.company")
    task = Task(
        company_id=actor.company_id,
        number=number,
        title=new.title,
        description=new.description,
        source_chat_id=new.source_chat_id,
        source_message_id=new.source_message_id,
        project_id=new.project_id,
        author_id=actor.user_id,
    )
    session.add(task)
    await session.flush()
    return task


async def _changing(session: AsyncSession, actor: Actor, number: int) -> Task:
    require(actor, Permission.WORK_ON_TASKS)
    return await get_task(session, actor=actor, number=number)


async def _open_project(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    project = await get_project(session, actor=actor, project_id=project_id)
    if project.archived_at is not None:
        raise Conflict("errors.conflict.project_archived")
    return project


async def _member(session: AsyncSession, actor: Actor, user_id: int) -> User:
    check_id(user_id, NotFound("errors.not_found.member"))
    user = await session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.company_id == actor.company_id)
    )
    if user is None:
        raise NotFound("errors.not_found.member")
    return user


async def _actor_name(session: AsyncSession, actor: Actor) -> str:
    user = await session.get(User, actor.user_id)
    return display_name(user) if user else ""


async def set_status(
    session: AsyncSession,
    *,
    actor: Actor,
    number: int,
    status: TaskStatus,
    now: datetime | None = None,
) -> Task:
    """Move the task to a status; done sets completed_at, any other status clears it."""
    status = choice(TaskStatus, status)
    task = await _changing(session, actor, number)
    if task.status is status:
        return task
    before = task.status
    task.status = status
    task.completed_at = (now or utcnow()) if status is TaskStatus.DONE else None
    event = audit.record_by(
        session,
        actor,
        "task.status_changed",
        "task",
        task.id,
        number=task.number,
        before=before,
        after=status,
    )
    name = escape(await _actor_name(session, actor), quote=False)

    def render(_recipient: User, language: Language) -> str:
        return gettext(
            language,
            "notify.task_status_changed",
            task=task_line(task, language, actor.company_name),
            actor=name,
            status=gettext(language, f"task.status.{status.value}"),
        )

    await notify_task_event(session, actor=actor, task=task, event=event, render=render)
    await announce_task_event(
        session,
        actor=actor,
        task=task,
        event=event,
        what="status",
        actor_name=name,
        localized={"status": f"task.status.{status.value}"},
    )
    await session.flush()
    return task


async def assign_task(
    session: AsyncSession, *, actor: Actor, number: int, assignee_id: int | None
) -> Task:
    """Assign the task to a member of the company, or unassign it with None."""
    task = await _changing(session, actor, number)
    assignee: User | None = None
    if assignee_id is not None:
        assignee = await _member(session, actor, assignee_id)
    if task.assignee_id == assignee_id:
        return task
    before = task.assignee_id
    task.assignee_id = assignee_id
    if assignee is None:
        audit.record_by(
            session, actor, "task.unassigned", "task", task.id, number=task.number, before=before
        )
        await session.flush()
        return task
    event = audit.record_by(
        session,
        actor,
        "task.assigned",
        "task",
        task.id,
        number=task.number,
        before=before,
        after=assignee_id,
    )
    name = escape(await _actor_name(session, actor), quote=False)
    assignee_name = escape(display_name(assignee), quote=False)

    def render(recipient: User, language: Language) -> str:
        key = (
            "notify.task_assigned_to_you" if recipient.id == assignee_id else "notify.task_assigned"
        )
        return gettext(
            language,
            key,
            task=task_line(task, language, actor.company_name),
            actor=name,
            assignee=assignee_name,
        )

    await notify_task_event(session, actor=actor, task=task, event=event, render=render)
    await announce_task_event(
        session,
        actor=actor,
        task=task,
        event=event,
        what="assigned",
        actor_name=name,
        assignee=assignee_name,
    )
    await session.flush()
    return task


async def set_due(
    session: AsyncSession,
    *,
    actor: Actor,
    number: int,
    due_at: datetime | None,
    now: datetime | None = None,
) -> Task:
    """Set the due date (an aware datetime in the future, see due_dates.parse_due) or clear it."""
    if due_at is not None:
        if due_at.tzinfo is None:
            raise InvalidInput("errors.invalid.due_date")
        if due_at <= (now or utcnow()):
            raise InvalidInput("errors.invalid.due_in_past")
    task = await _changing(session, actor, number)
    if task.due_at == due_at:
        return task
    audit.record_by(
        session,
        actor,
        "task.due_changed",
        "task",
        task.id,
        number=task.number,
        before=task.due_at,
        after=due_at,
    )
    task.due_at = due_at
    await session.flush()
    return task


async def set_priority(
    session: AsyncSession, *, actor: Actor, number: int, priority: TaskPriority
) -> Task:
    """Set the task's priority."""
    priority = choice(TaskPriority, priority)
    task = await _changing(session, actor, number)
    if task.priority is priority:
        return task
    audit.record_by(
        session,
        actor,
        "task.priority_changed",
        "task",
        task.id,
        number=task.number,
        before=task.priority,
        after=priority,
    )
    task.priority = priority
    await session.flush()
    return task


async def move_to_project(
    session: AsyncSession, *, actor: Actor, number: int, project_id: int | None
) -> Task:
    """Put the task in a project of the company that is not archived, or in none."""
    task = await _changing(session, actor, number)
    if project_id is not None:
        await _open_project(session, actor, project_id)
    if task.project_id == project_id:
        return task
    event = audit.record_by(
        session,
        actor,
        "task.moved",
        "task",
        task.id,
        number=task.number,
        before=task.project_id,
        after=project_id,
    )
    task.project_id = project_id
    await announce_task_event(session, actor=actor, task=task, event=event, what="moved_in")
    await session.flush()
    return task


async def set_description(
    session: AsyncSession, *, actor: Actor, number: int, description: str | None
) -> Task:
    """Set the task's description (up to 4000 characters), or clear it with None or blank."""
    text = None
    if description is not None and description.strip():
        text = clean_text(description, max_length=DESCRIPTION_MAX)
    task = await _changing(session, actor, number)
    if task.description == text:
        return task
    audit.record_by(
        session,
        actor,
        "task.description_changed",
        "task",
        task.id,
        number=task.number,
        before=task.description,
        after=text,
    )
    task.description = text
    await session.flush()
    return task
