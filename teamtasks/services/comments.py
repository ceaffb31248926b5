"""Comments on tasks: add one (the assignee and the author are told), list a task's comments."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import gettext
from teamtasks.models import TaskComment, User
from teamtasks.models.enums import Language
from teamtasks.services import audit
from teamtasks.services.actors import Actor, Permission, require, require_good_standing
from teamtasks.services.notifications import (
    announce_task_event,
    excerpt,
    notify_task_event,
    task_line,
)
from teamtasks.services.paging import DEFAULT_LIMIT, Page, fetch_row_page
from teamtasks.services.tasks import get_task
from teamtasks.services.users import display_name
from teamtasks.services.validation import clean_text

TEXT_MAX = 4000


@dataclass(frozen=True)
class CommentEntry:
    """A comment with its author's name (None when the user is gone)."""

    comment: TaskComment
    author_name: str | None


async def add_comment(
    session: AsyncSession, *, actor: Actor, number: int, text: str
) -> TaskComment:
    """Comment on task #number (1 to 4000 characters, line breaks kept)."""
    require(actor, Permission.WORK_ON_TASKS)
    require_good_standing(actor)
    body = clean_text(text, max_length=TEXT_MAX)
    task = await get_task(session, actor=actor, number=number)
    comment = TaskComment(
        company_id=actor.company_id, task_id=task.id, author_id=actor.user_id, text=body
    )
    session.add(comment)
    await session.flush()
    event = audit.record_by(
        session,
        actor,
        "task.commented",
        "task",
        task.id,
        number=task.number,
        comment_id=comment.id,
        length=len(body),
    )
    author = await session.get(User, actor.user_id)
    name = escape(display_name(author) if author else "", quote=False)
    quoted = escape(excerpt(body), quote=False)

    def render(_recipient: User, language: Language) -> str:
        return gettext(
            language,
            "notify.task_commented",
            task=task_line(task, language, actor.company_name),
            actor=name,
            comment=quoted,
        )

    await notify_task_event(session, actor=actor, task=task, event=event, render=render)
    await announce_task_event(
        session,
        actor=actor,
        task=task,
        event=event,
        what="commented",
        actor_name=name,
        comment=quoted,
    )
    await session.flush()
    return comment


async def list_comments(
    session: AsyncSession,
    *,
    actor: Actor,
    number: int,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[CommentEntry]:
    """Comments on task #number, newest first, one page."""
    task = await get_task(session, actor=actor, number=number)
    statement = (
        select(TaskComment, User)
        .outerjoin(User, User.id == TaskComment.author_id)
        .where(TaskComment.company_id == actor.company_id, TaskComment.task_id == task.id)
        .order_by(TaskComment.created_at.desc(), TaskComment.id.desc())
    )
    page = await fetch_row_page(session, statement, limit=limit, offset=offset)
    return Page(
        items=[
            CommentEntry(comment=comment, author_name=display_name(user) if user else None)
            for comment, user in page.items
        ],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )
