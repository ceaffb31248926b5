"""The company's data as a ZIP of CSV files (`/export`): owners only, and allowed out of good
standing (such a company reads and exports everything, it only creates nothing).

Every query is scoped by the actor's company. Rows stream from the database in batches
(`yield_per`) into the archive, which is written to a temporary file, so memory stays flat
however big the company is; each batch is formatted and deflated in a worker thread, so the
bot's event loop serves other updates meanwhile. Files are listed by their metadata; their
contents stay where they are, downloadable by their links.

Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front (as
OWASP advises against CSV injection): a spreadsheet would run it as a formula, and a member's
task titled `=HYPERLINK(...)` would run in the owner's spreadsheet. Only people's text can
start so: numbers, codes, ISO times and JSON never do, and are written as they are.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from teamtasks.models import AuditLog, File, Membership, Project, Task, TaskComment, User
from teamtasks.models.base import utcnow
from teamtasks.services import audit
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.users import display_name

BATCH = 1000
"""Rows fetched from the database at a time."""
SLUG_MAX = 40

Cell = str | int
FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""What a cell starts with for a spreadsheet to read it as a formula."""


@dataclass(frozen=True)
class Sheet:
    """One CSV of the archive: its header, the company's rows, and how a row becomes cells."""

    name: str
    header: tuple[str, ...]
    query: Callable[[int], Select[Any]]
    cells: Callable[[Any], Sequence[Cell]]


@dataclass(frozen=True)
class Export:
    """The archive on disk (deleted when the `exported` block ends) and its rows per CSV."""

    path: Path
    file_name: str
    day: date
    """The day of the export in the company's time zone, as in the file name."""
    counts: dict[str, int]


def _time(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else ""


def _name(user: User | None) -> str:
    return display_name(user) if user is not None else ""


def _code(value: Enum) -> str:
    return str(value.value)


_author = aliased(User, name="author")
_assignee = aliased(User, name="assignee")


def _members(company_id: int) -> Select[Any]:
    return (
        select(User, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == company_id)
        .order_by(Membership.created_at, Membership.id)
    )


def _projects(company_id: int) -> Select[Any]:
    return (
        select(Project, _author)
        .outerjoin(_author, _author.id == Project.created_by_id)
        .where(Project.company_id == company_id)
        .order_by(Project.created_at, Project.id)
    )


def _tasks(company_id: int) -> Select[Any]:
    return (
        select(Task, Project.name, _assignee, _author)
        .outerjoin(Project, (Project.id == Task.project_id) & (Project.company_id == company_id))
        .outerjoin(_assignee, _assignee.id == Task.assignee_id)
        .outerjoin(_author, _author.id == Task.author_id)
        .where(Task.company_id == company_id)
        .order_by(Task.number)
    )


def _comments(company_id: int) -> Select[Any]:
    return (
        select(Task.number, TaskComment, _author)
        .join(Task, (Task.id == TaskComment.task_id) & (Task.company_id == company_id))
        .outerjoin(_author, _author.id == TaskComment.author_id)
        .where(TaskComment.company_id == company_id)
        .order_by(Task.number, TaskComment.created_at, TaskComment.id)
    )


def _files(company_id: int) -> Select[Any]:
    return (
        select(Task.number, File, _author)
        .join(Task, (Task.id == File.task_id) & (Task.company_id == company_id))
        .outerjoin(_author, _author.id == File.uploaded_by_id)
        .where(File.company_id == company_id)
        .order_by(Task.number, File.created_at, File.id)
    )


def _audit(company_id: int) -> Select[Any]:
    return (
        select(AuditLog, _author)
        .outerjoin(_author, _author.id == AuditLog.actor_user_id)
        .where(AuditLog.company_id == company_id)
        .order_by(AuditLog.created_at, AuditLog.id)
    )


def _entity(log: AuditLog) -> str:
    return log.entity_type if log.entity_id is None else f"{log.entity_type}:{log.entity_id}"


SHEETS = (
    Sheet(
        "members",
        ("name", "username", "role", "joined"),
        _members,
        lambda row: (_name(row[0]), row[0].username or "", _code(row[1]), _time(row[2])),
    ),
    Sheet(
        "projects",
        ("name", "description", "archived_at", "created_by", "created_at", "updated_at"),
        _projects,
        lambda row: (
            row[0].name,
            row[0].description or "",
            _time(row[0].archived_at),
            _name(row[1]),
            _time(row[0].created_at),
            _time(row[0].updated_at),
        ),
    ),
    Sheet(
        "tasks",
        (
            "number",
            "title",
            "description",
            "status",
            "priority",
            "project",
            "assignee",
            "author",
            "due_at",
            "completed_at",
            "created_at",
            "updated_at",
        ),
        _tasks,
        lambda row: (
            row[0].number,
            row[0].title,
            row[0].description or "",
            _code(row[0].status),
            _code(row[0].priority),
            row[1] or "",
            _name(row[2]),
            _name(row[3]),
            _time(row[0].due_at),
            _time(row[0].completed_at),
            _time(row[0].created_at),
            _time(row[0].updated_at),
        ),
    ),
    Sheet(
        "comments",
        ("task", "author", "text", "created_at"),
        _comments,
        lambda row: (row[0], _name(row[2]), row[1].text, _time(row[1].created_at)),
    ),
    Sheet(
        "files",
        ("task", "name", "size", "content_type", "sha256", "uploaded_by", "created_at"),
        _files,
        lambda row: (
            row[0],
            row[1].original_name,
            row[1].size_bytes,
            row[1].content_type,
            row[1].sha256,
            _name(row[2]),
            _time(row[1].created_at),
        ),
    ),
    Sheet(
        "audit",
        ("created_at", "actor", "action", "entity", "details"),
        _audit,
        lambda row: (
            _time(row[0].created_at),
            _name(row[1]),
            row[0].action,
            _entity(row[0]),
            json.dumps(row[0].details, ensure_ascii=False, sort_keys=True),
        ),
    ),
)


def slug(name: str) -> str:
    """The company's name for a file name: its words in lower case joined by hyphens."""
    words = "-".join(re.findall(r"[^\W_]+", name.lower()))
    return words[:SLUG_MAX].strip("-") or "company"


async def _write_sheet(
    session: AsyncSession, archive: zipfile.ZipFile, sheet: Sheet, company_id: int
) -> int:
    """Stream the sheet's rows into its CSV inside the archive; the number of rows."""
    count = 0
    result = await session.stream(sheet.query(company_id).execution_options(yield_per=BATCH))
    with (
        archive.open(f"{sheet.name}.csv", "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
    ):
        csv.writer(text).writerow(sheet.header)
        async for partition in result.partitions():
            # One batch at a time, off the loop: formatting and deflating take the CPU.
            await asyncio.to_thread(_write_rows, text, sheet, partition)
            count += len(partition)
    return count


def _write_rows(text: TextIO, sheet: Sheet, rows: Sequence[Any]) -> None:
    csv.writer(text).writerows([_safe(cell) for cell in sheet.cells(row)] for row in rows)


def _safe(cell: Cell) -> Cell:
    """The cell as a spreadsheet shows it rather than runs it (see the module's docstring)."""
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA) else cell


@asynccontextmanager
async def exported(
    session: AsyncSession, *, actor: Actor, now: datetime | None = None
) -> AsyncIterator[Export]:
    """The company's data as a ZIP in a temporary file, deleted when the block ends.

    The audit row "company.exported" is written only when the block ends without an error,
    that is once the archive was delivered.
    """
    require(actor, Permission.EXPORT_DATA)
    now = now or utcnow()
    with tempfile.TemporaryDirectory(prefix="teamtasks-export-") as directory:
        path = Path(directory) / "export.zip"
        counts: dict[str, int] = {}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sheet in SHEETS:
                counts[sheet.name] = await _write_sheet(session, archive, sheet, actor.company_id)
        day = now.astimezone(ZoneInfo(actor.timezone)).date()
        name = f"teamtasks-{slug(actor.company_name)}-{day.isoformat()}.zip"
        yield Export(path=path, file_name=name, day=day, counts=counts)
    audit.record_by(session, actor, "company.exported", "company", actor.company_id, **counts)
