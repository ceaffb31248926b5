"""Reminders of due tasks, written as notifications once each (the worker's reminders job).

- The hour before a task is due, its assignee is reminded: once per task, due date and
  assignee (a new due date is reminded again).
- At 09:00 in the company's time zone each assignee who keeps the digest on (`/digest`) gets
  the list of their open tasks due today or overdue: once per company, person and local day.
  The digest is written during the morning (09:00 to noon), so a worker that was down at nine
  still sends it, and none arrives in the evening. The job runs every minute: each run looks
  first for the people without that day's digest yet, CHUNK at a time (a transaction each),
  and reads tasks only for them, so once the digests are out a run reads no tasks.

Only open tasks, only to people who are still members of the company and who have not blocked
the bot; texts in each person's language, with every user-given value escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, String, cast, exists, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import dialect_insert
from teamtasks.i18n import DEFAULT_LANGUAGE, gettext, language_from_telegram
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
CHUNK = 1000
"""People whose digests are written in one transaction: memory stays flat however many."""
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
        rows.append(
            _row(task.company_id, user.id, user.telegram_id, "task.due_soon", key, text, now)
        )
    return await _write(session, rows)


async def morning_zones(session: AsyncSession, *, now: datetime) -> list[str]:
    """The time zones of the companies whose morning (09:00 to noon) it is."""
    zones = await session.scalars(select(Company.timezone).distinct())
    return [z for z in zones if DIGEST_FROM <= now.astimezone(ZoneInfo(z)).time() < DIGEST_UNTIL]


async def undigested(
    session: AsyncSession, *, zone: str, now: datetime, after: tuple[int, int] = (0, 0)
) -> Sequence[Row[Any]]:
    """Up to CHUNK people of the zone's companies, by (company, user) after `after`, who have
    open tasks due by the end of the local day and no digest of that day yet."""
    m = Membership
    local = now.astimezone(ZoneInfo(zone))
    key = _digest_key(local.date())
    return (
        await session.execute(
            select(
                m.company_id,
                m.user_id,
                Company.name.label("company_name"),
                User.telegram_id,
                User.language,
                User.language_code,
                key.label("dedupe_key"),
            )
            .join(Company, Company.id == m.company_id)
            .join(User, User.id == m.user_id)
            .where(
                Company.timezone == zone,
                User.morning_digest.is_(True),
                User.is_reachable.is_(True),
                tuple_(m.company_id, m.user_id) > after,
                exists().where(
                    Task.company_id == m.company_id,
                    Task.assignee_id == m.user_id,
                    Task.status.in_(OPEN),
                    Task.due_at < _tomorrow(local),
                ),
                ~exists().where(Notification.dedupe_key == key),
            )
            .order_by(m.company_id, m.user_id)
            .limit(CHUNK)
        )
    ).all()


async def write_digests(
    session: AsyncSession, people: Sequence[Row[Any]], *, zone: str, now: datetime
) -> int:
    """The digests of these people (found by `undigested`); returns how many were new."""
    if not people:
        return 0
    ranked = (
        select(
            Task.company_id,
            Task.assignee_id,
            Task.number,
            Task.title,
            Task.due_at,
            func.row_number()
            .over(
                partition_by=(Task.company_id, Task.assignee_id),
                order_by=(Task.due_at, Task.number),
            )
            .label("place"),
            func.count().over(partition_by=(Task.company_id, Task.assignee_id)).label("total"),
        )
        .where(
            tuple_(Task.company_id, Task.assignee_id).in_(
                [(person.company_id, person.user_id) for person in people]
            ),
            Task.status.in_(OPEN),
            Task.due_at < _tomorrow(now.astimezone(ZoneInfo(zone))),
        )
        .subquery()
    )
    # Only the tasks a digest lists by name, however many a person has overdue.
    found = await session.execute(
        select(ranked)
        .where(ranked.c.place <= DIGEST_TASKS)
        .order_by(ranked.c.company_id, ranked.c.assignee_id, ranked.c.place)
    )
    tasks: dict[tuple[int, int], list[Row[Any]]] = {}
    for task in found:
        tasks.setdefault((task.company_id, task.assignee_id), []).append(task)
    rows = [
        _digest(person, tasks[(person.company_id, person.user_id)], zone, now)
        for person in people
        if (person.company_id, person.user_id) in tasks
    ]
    return await _write(session, rows)


def _tomorrow(local: datetime) -> datetime:
    return datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)


def _digest_key(day: date) -> ColumnElement[str]:
    """`task.digest:<company>:<user>:<local day>`, built in SQL for a membership's row."""
    return (
        literal("task.digest:")
        + cast(Membership.company_id, String)
        + ":"
        + cast(Membership.user_id, String)
        + f":{day:%Y%m%d}"
    )


def _digest(
    person: Row[Any], tasks: Sequence[Row[Any]], zone: str, now: datetime
) -> dict[str, Any]:
    language = person.language or language_from_telegram(person.language_code, DEFAULT_LANGUAGE)
    company = escape(person.company_name, quote=False)
    lines = [gettext(language, "worker.digest.morning", company=company)]
    for task in tasks:
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
    more = tasks[0].total - len(tasks)
    if more > 0:
        lines.append(gettext(language, "worker.digest.more", count=more))
    return _row(
        person.company_id,
        person.user_id,
        person.telegram_id,
        "task.digest",
        person.dedupe_key,
        fit("\n".join(lines)),
        now,
    )


def _row(
    company_id: int,
    user_id: int,
    chat_id: int,
    kind: str,
    dedupe_key: str,
    text: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "user_id": user_id,
        "chat_id": chat_id,
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
