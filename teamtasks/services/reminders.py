"""Reminders of due tasks, written as notifications once each (the worker's reminders job).

- The hour before a task is due, its assignee is reminded: once per task, due date and
  assignee (a new due date is reminded again).
- At 09:00 in the company's time zone each assignee who keeps the digest on (`/digest`) gets
  the list of their open tasks due today or overdue: once per company, person and local day.
  The digest is written during the morning (09:00 to noon), so a worker that was down at nine
  still sends it, and none arrives in the evening.

Only open tasks, only to people who are still members of the company and who have not blocked
the bot; texts in each person's language, with every user-given value escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import dialect_insert
from teamtasks.i18n import gettext
from teamtasks.models import Company, Membership, Notification, Task, User
from teamtasks.models.enums import TaskStatus
from teamtasks.services.due_dates import format_due
from teamtasks.services.notifications import fit, task_line
from teamtasks.services.users import language_of

REMIND_BEFORE = timedelta(hours=1)
DIGEST_FROM = time(9, 0)
DIGEST_UNTIL = time(12, 0)
DIGEST_TASKS = 20
"""At most this many tasks listed by name in one digest; the rest are counted."""
OPEN = (TaskStatus.TODO, TaskStatus.IN_PROGRESS)


def _assigned() -> Any:
    """Open tasks with their company and their assignee, while the assignee is a member."""
    return (
        select(Task, Company.name, Company.timezone, User)
        .join(Company, Company.id == Task.company_id)
        .join(User, User.id == Task.assignee_id)
        .join(
            Membership,
            (Membership.company_id == Task.company_id) & (Membership.user_id == Task.assignee_id),
        )
        .where(Task.status.in_(OPEN), User.is_reachable.is_(True))
    )


async def remind_due_soon(session: AsyncSession, *, now: datetime) -> int:
    """Remind the assignees of tasks due within the hour; returns how many were new."""
    found = await session.execute(
        _assigned().where(Task.due_at > now, Task.due_at <= now + REMIND_BEFORE).order_by(Task.id)
    )
    rows = []
    for task, company_name, timezone, user in found.tuples():
        assert task.due_at is not None
        language = language_of(user)
        text = gettext(
            language,
            "worker.reminder.due_soon",
            task=task_line(task, language, company_name),
            due=format_due(task.due_at, timezone, language),
        )
        key = f"task.due_soon:{task.id}:{task.due_at:%Y%m%dT%H%M%S}:{user.id}"
        rows.append(_row(task.company_id, user, "task.due_soon", key, text, now))
    return await _write(session, rows)


async def morning_digests(session: AsyncSession, *, now: datetime) -> int:
    """The digests of the companies whose morning it is; returns how many were new."""
    zones = (await session.scalars(select(Company.timezone).distinct())).all()
    written = 0
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone))
        if not DIGEST_FROM <= local.time() < DIGEST_UNTIL:
            continue
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)
        found = await session.execute(
            _assigned()
            .where(
                Company.timezone == zone,
                User.morning_digest.is_(True),
                Task.due_at < tomorrow,
            )
            .order_by(Task.company_id, Task.assignee_id, Task.due_at, Task.number)
        )
        digests: dict[tuple[int, int], list[Task]] = {}
        people: dict[tuple[int, int], tuple[str, User]] = {}
        for task, company_name, _, user in found.tuples():
            digests.setdefault((task.company_id, user.id), []).append(task)
            people[(task.company_id, user.id)] = (company_name, user)
        rows = [
            _digest(company_id, *people[(company_id, user_id)], tasks, zone, now)
            for (company_id, user_id), tasks in digests.items()
        ]
        written += await _write(session, rows)
    return written


def _digest(
    company_id: int,
    company_name: str,
    user: User,
    tasks: Sequence[Task],
    zone: str,
    now: datetime,
) -> dict[str, Any]:
    language = language_of(user)
    lines = [gettext(language, "worker.digest.morning", company=escape(company_name, quote=False))]
    for task in tasks[:DIGEST_TASKS]:
        assert task.due_at is not None
        key = "worker.digest.overdue" if task.due_at <= now else "worker.digest.today"
        lines.append(
            gettext(
                language,
                key,
                number=task.number,
                title=escape(task.title, quote=False),
                due=format_due(task.due_at, zone, language),
            )
        )
    if len(tasks) > DIGEST_TASKS:
        lines.append(gettext(language, "worker.digest.more", count=len(tasks) - DIGEST_TASKS))
    day = now.astimezone(ZoneInfo(zone)).date()
    key = f"task.digest:{company_id}:{user.id}:{day:%Y%m%d}"
    return _row(company_id, user, "task.digest", key, fit("\n".join(lines)), now)


def _row(
    company_id: int, user: User, kind: str, dedupe_key: str, text: str, now: datetime
) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "user_id": user.id,
        "chat_id": user.telegram_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "text": text,
        "next_attempt_at": now,
        "created_at": now,
    }


async def _write(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the notifications not written before (by dedupe key); how many were new."""
    if not rows:
        return 0
    written = await session.execute(
        dialect_insert(session, Notification)
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
        .returning(Notification.id),
        rows,
    )
    return len(written.all())
