"""The outbox writer: task events become Notification rows in the same transaction.

Nothing is sent here; delivery reads pending rows after commit. Texts are HTML (the bot's parse
mode), rendered in each recipient's language, with every user-given value escaped. Recipients
are the task's assignee and author, never the actor, and only while they are members of the
company. `dedupe_key` is `<kind>:<audit row id>:<user id>`: one event, one message per person.

Changes to a project's tasks are also announced in the groups linked to that project (unless a
group turned announcements off), in the group's language: one row per group with the group's
chat id and no user, `dedupe_key` `<kind>:<audit row id>:group<link id>`. The delivery job
paces them within a group's 20 a minute and folds a backlog into one digest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import gettext
from teamtasks.models import AuditLog, GroupChat, Membership, Notification, Task, User
from teamtasks.models.enums import Language, NotificationStatus
from teamtasks.services.actors import Actor
from teamtasks.services.users import display_name, language_of

COMMENT_EXCERPT = 500
MAX_TEXT = 4096

Render = Callable[[User, Language], str]
"""A text for one recipient in their language."""


async def notify_task_event(
    session: AsyncSession,
    *,
    actor: Actor,
    task: Task,
    event: AuditLog,
    render: Render,
    recipient_ids: set[int | None] | None = None,
) -> list[Notification]:
    """Write one Notification per recipient of a task event (assignee and author by default)."""
    wanted = {task.assignee_id, task.author_id} if recipient_ids is None else recipient_ids
    ids = {user_id for user_id in wanted if user_id is not None and user_id != actor.user_id}
    if not ids:
        return []
    recipients = (
        await session.scalars(
            select(User)
            .join(
                Membership,
                (Membership.user_id == User.id) & (Membership.company_id == actor.company_id),
            )
            .where(User.id.in_(ids))
            .order_by(User.id)
        )
    ).all()
    if event.id is None:
        await session.flush()
    rows = [
        Notification(
            company_id=actor.company_id,
            user_id=recipient.id,
            chat_id=recipient.telegram_id,
            kind=event.action,
            dedupe_key=f"{event.action}:{event.id}:{recipient.id}",
            text=fit(render(recipient, language_of(recipient))),
            # Kept, not sent, for a person who blocked the bot (the delivery job marks them).
            status=NotificationStatus.PENDING
            if recipient.is_reachable
            else NotificationStatus.SKIPPED,
        )
        for recipient in recipients
    ]
    session.add_all(rows)
    return rows


async def announce_task_event(
    session: AsyncSession,
    *,
    actor: Actor,
    task: Task,
    event: AuditLog,
    what: str,
    actor_name: str | None = None,
    localized: Mapping[str, str] | None = None,
    **params: str,
) -> list[Notification]:
    """Write one Notification per group linked to the task's project that takes announcements:
    `groups.announce.<what>` in the group's language, with the task, the actor's name (escaped;
    read here when not given), `params` (escaped by the caller) and `localized` (locale keys,
    rendered in the group's language). No query for a task outside any project, and none for
    the name when no group listens."""
    if task.project_id is None:
        return []
    groups = (
        await session.execute(
            select(GroupChat.id, GroupChat.chat_id, GroupChat.language).where(
                GroupChat.company_id == actor.company_id,
                GroupChat.project_id == task.project_id,
                GroupChat.announce.is_(True),
            )
        )
    ).all()
    if not groups:
        return []
    if actor_name is None:
        user = await session.get(User, actor.user_id)
        actor_name = escape(display_name(user), quote=False) if user else ""
    if event.id is None:
        await session.flush()
    rows = [
        Notification(
            company_id=actor.company_id,
            user_id=None,
            chat_id=chat_id,
            kind=event.action,
            dedupe_key=f"{event.action}:{event.id}:group{link_id}",
            text=fit(
                gettext(
                    language,
                    f"groups.announce.{what}",
                    task=group_line(task),
                    actor=actor_name,
                    **params,
                    **{name: gettext(language, key) for name, key in (localized or {}).items()},
                )
            ),
        )
        for link_id, chat_id, language in groups
    ]
    session.add_all(rows)
    return rows


def group_line(task: Task) -> str:
    """A task as a group's announcement names it: number and title, escaped."""
    return f"#{task.number} · {escape(task.title, quote=False)}"


def task_line(task: Task, language: Language, company_name: str) -> str:
    """The first line of every task notification: company, number and title, escaped."""
    return gettext(
        language,
        "notify.task_line",
        company=escape(company_name, quote=False),
        number=task.number,
        title=escape(task.title, quote=False),
    )


def excerpt(text: str, limit: int = COMMENT_EXCERPT) -> str:
    """At most `limit` characters of a text, with an ellipsis when cut (raw, not escaped)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(html_text: str, limit: int = MAX_TEXT) -> str:
    """An escaped text cut to `limit` characters without splitting an entity like `&amp;`."""
    if len(html_text) <= limit:
        return html_text
    cut = html_text[: limit - 1]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    return cut + "…"
