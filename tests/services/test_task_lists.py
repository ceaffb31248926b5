"""Task lists: my tasks (open first), by project, by status, overdue, and search; all paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Task
from teamtasks.models.enums import TaskStatus
from teamtasks.services import projects, task_lists, tasks
from teamtasks.services.actors import Actor
from tests.services.helpers import NOW, Team


async def _task(
    session: AsyncSession,
    actor: Actor,
    title: str,
    *,
    assignee_id: int | None = None,
    status: TaskStatus | None = None,
    due_in: timedelta | None = None,
    project_id: int | None = None,
) -> Task:
    task = await tasks.create_task(session, actor=actor, title=title, project_id=project_id)
    if assignee_id is not None:
        await tasks.assign_task(session, actor=actor, number=task.number, assignee_id=assignee_id)
    if due_in is not None:
        await tasks.set_due(
            session,
            actor=actor,
            number=task.number,
            due_at=NOW + due_in,
            now=NOW - timedelta(days=30),
        )
    if status is not None:
        await tasks.set_status(session, actor=actor, number=task.number, status=status)
    return task


def _titles(items: list[Task]) -> list[str]:
    return [task.title for task in items]


async def test_my_tasks_come_open_first_soonest_due_first(
    session: AsyncSession, acme: Team
) -> None:
    owner, bob = acme.owner_actor, acme.member.id
    await _task(session, owner, "done", assignee_id=bob, status=TaskStatus.DONE)
    await _task(session, owner, "later", assignee_id=bob, due_in=timedelta(days=5))
    await _task(session, owner, "soon", assignee_id=bob, due_in=timedelta(days=1))
    await _task(session, owner, "not mine")
    await _task(session, owner, "in progress", assignee_id=bob, status=TaskStatus.IN_PROGRESS)

    page = await task_lists.list_my_tasks(session, actor=acme.member_actor)
    assert _titles(page.items) == [
        "soon",
        "later",
        "in progress",
        "Acme: fix the login page",
        "done",
    ]
    assert page.has_more is False
    open_only = await task_lists.list_my_tasks(session, actor=acme.member_actor, open_only=True)
    assert "done" not in _titles(open_only.items)

    first = await task_lists.list_my_tasks(session, actor=acme.member_actor, limit=2)
    second = await task_lists.list_my_tasks(session, actor=acme.member_actor, limit=2, offset=2)
    last = await task_lists.list_my_tasks(session, actor=acme.member_actor, limit=2, offset=4)
    assert (_titles(first.items), first.has_more) == (["soon", "later"], True)
    assert _titles(second.items) == ["in progress", "Acme: fix the login page"]
    assert (_titles(last.items), last.has_more) == (["done"], False)


async def test_tasks_by_project_and_by_status(session: AsyncSession, acme: Team) -> None:
    owner = acme.owner_actor
    mobile = await projects.create_project(session, actor=owner, name="Mobile")
    await _task(session, owner, "app", project_id=mobile.id)
    await _task(session, owner, "closed app", project_id=mobile.id, status=TaskStatus.CANCELED)
    await _task(session, owner, "loose", status=TaskStatus.CANCELED)

    in_mobile = await task_lists.list_project_tasks(session, actor=owner, project_id=mobile.id)
    assert _titles(in_mobile.items) == ["app", "closed app"]
    await projects.archive_project(session, actor=owner, project_id=mobile.id)
    archived = await task_lists.list_project_tasks(session, actor=owner, project_id=mobile.id)
    assert len(archived.items) == 2

    canceled = await task_lists.list_tasks_by_status(
        session, actor=acme.member_actor, status=TaskStatus.CANCELED
    )
    assert _titles(canceled.items) == ["loose", "closed app"]


async def test_overdue_tasks_are_open_and_past_due(session: AsyncSession, acme: Team) -> None:
    owner = acme.owner_actor
    await _task(session, owner, "very late", due_in=timedelta(days=-3))
    await _task(session, owner, "late", due_in=timedelta(hours=-1))
    await _task(session, owner, "late but done", due_in=timedelta(days=-2), status=TaskStatus.DONE)
    await _task(session, owner, "on time", due_in=timedelta(hours=1))

    overdue = await task_lists.list_overdue_tasks(session, actor=acme.member_actor, now=NOW)
    assert _titles(overdue.items) == ["very late", "late"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("LOGIN", ["Fix the login page"]),
        ("логин", ["Починить ЛОГИН"]),
        ("100%", ["Coverage 100%"]),
        ("%", ["Coverage 100%"]),
        ("a_b", ["rename a_b"]),
        ("_", ["rename a_b"]),
        ("<b>", ["<b>bold</b> & co"]),
        ("steps", ["Described"]),
        ("nothing like it", []),
    ],
)
async def test_search_matches_text_literally_in_any_case(
    session: AsyncSession, acme: Team, query: str, expected: list[str]
) -> None:
    owner = acme.owner_actor
    for title in [
        "Fix the login page",
        "Починить ЛОГИН",
        "Coverage 100%",
        "Coverage 1000",
        "rename a_b",
        "rename axb",
        "<b>bold</b> & co",
    ]:
        await _task(session, owner, title)
    described = await _task(session, owner, "Described")
    await tasks.set_description(
        session, actor=owner, number=described.number, description="Repro STEPS here"
    )
    await tasks.create_task(session, actor=owner, title="noise")

    found = await task_lists.search_tasks(session, actor=acme.member_actor, query=query)
    assert [t for t in _titles(found.items) if not t.startswith("Acme:")] == expected
