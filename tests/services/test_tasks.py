"""Tasks: Bob creates them quickly, numbered per company, and works them through the card."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog
from teamtasks.models.enums import TaskPriority, TaskStatus
from teamtasks.services import projects, tasks
from teamtasks.services.errors import InvalidInput, NotFound
from tests.services.helpers import NOW, Team, snapshot
from tests.support import factories


async def _actions(session: AsyncSession, entity_id: int) -> list[str]:
    return list(
        (
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.entity_type == "task", AuditLog.entity_id == entity_id)
                .order_by(AuditLog.id)
            )
        ).all()
    )


async def test_bob_creates_tasks_numbered_one_after_another(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    first = await tasks.create_task(session, actor=acme.member_actor, title="  Write docs ")
    second = await tasks.create_task(
        session, actor=acme.member_actor, title="Ship", project_id=acme.project.id
    )
    theirs = await tasks.create_task(session, actor=globex.member_actor, title="Theirs")

    assert (first.number, second.number) == (acme.task.number + 1, acme.task.number + 2)
    assert theirs.number == globex.task.number + 1
    assert first.title == "Write docs"
    assert (first.author_id, first.status, first.priority) == (
        acme.member.id,
        TaskStatus.TODO,
        TaskPriority.NORMAL,
    )
    assert second.project_id == acme.project.id
    await session.refresh(acme.company)
    assert acme.company.task_counter == second.number
    log = await session.scalar(
        select(AuditLog).where(AuditLog.action == "task.created", AuditLog.entity_id == first.id)
    )
    assert log is not None
    assert log.details == {"number": first.number, "project_id": None}


async def test_a_task_opens_by_number_with_its_card(session: AsyncSession, acme: Team) -> None:
    task = await tasks.get_task(session, actor=acme.member_actor, number=acme.task.number)
    assert task.id == acme.task.id
    card = await tasks.get_task_card(session, actor=acme.member_actor, number=acme.task.number)
    assert (card.task.id, card.project_name, card.assignee_name, card.author_name) == (
        acme.task.id,
        "Website",
        "Bob",
        "Anna",
    )
    with pytest.raises(NotFound) as refused:
        await tasks.get_task(session, actor=acme.member_actor, number=999)
    assert (refused.value.key, refused.value.params) == ("errors.not_found.task", {"number": 999})


async def test_status_changes_set_and_clear_completed_at(session: AsyncSession, acme: Team) -> None:
    actor, number = acme.member_actor, acme.task.number
    task = await tasks.set_status(
        session, actor=actor, number=number, status=TaskStatus.IN_PROGRESS, now=NOW
    )
    assert (task.status, task.completed_at) == (TaskStatus.IN_PROGRESS, None)
    task = await tasks.set_status(
        session, actor=actor, number=number, status=TaskStatus.DONE, now=NOW
    )
    assert (task.status, task.completed_at) == (TaskStatus.DONE, NOW)
    task = await tasks.set_status(session, actor=actor, number=number, status=TaskStatus.TODO)
    assert task.completed_at is None
    task = await tasks.set_status(session, actor=actor, number=number, status=TaskStatus.CANCELED)
    assert task.completed_at is None
    log = await session.scalar(
        select(AuditLog)
        .where(AuditLog.action == "task.status_changed")
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    assert log is not None
    assert log.details == {"number": 1, "before": "todo", "after": "canceled"}


async def test_an_unchanged_value_writes_nothing(session: AsyncSession, acme: Team) -> None:
    actor, task = acme.member_actor, acme.task
    before = await snapshot(session)
    await tasks.set_status(session, actor=actor, number=task.number, status=TaskStatus.TODO)
    await tasks.set_priority(session, actor=actor, number=task.number, priority=TaskPriority.NORMAL)
    await tasks.assign_task(session, actor=actor, number=task.number, assignee_id=acme.member.id)
    await tasks.move_to_project(
        session, actor=actor, number=task.number, project_id=acme.project.id
    )
    await tasks.set_due(session, actor=actor, number=task.number, due_at=None)
    await tasks.set_description(session, actor=actor, number=task.number, description=None)
    assert await snapshot(session) == before


@pytest.mark.parametrize("value", ["archived", "", "DONE"])
async def test_a_forged_status_is_refused(session: AsyncSession, acme: Team, value: str) -> None:
    before = await snapshot(session)
    with pytest.raises(InvalidInput) as refused:
        await tasks.set_status(
            session,
            actor=acme.owner_actor,
            number=acme.task.number,
            status=value,  # type: ignore[arg-type]
        )
    assert refused.value.key == "errors.invalid.choice"
    assert await snapshot(session) == before


@pytest.mark.parametrize("value", ["critical", "HIGH"])
async def test_a_forged_priority_is_refused(session: AsyncSession, acme: Team, value: str) -> None:
    before = await snapshot(session)
    with pytest.raises(InvalidInput) as refused:
        await tasks.set_priority(
            session,
            actor=acme.owner_actor,
            number=acme.task.number,
            priority=value,  # type: ignore[arg-type]
        )
    assert refused.value.key == "errors.invalid.choice"
    assert await snapshot(session) == before


async def test_assign_to_a_member_or_unassign(session: AsyncSession, acme: Team) -> None:
    actor, number = acme.member_actor, acme.task.number
    task = await tasks.assign_task(session, actor=actor, number=number, assignee_id=acme.manager.id)
    assert task.assignee_id == acme.manager.id
    task = await tasks.assign_task(session, actor=actor, number=number, assignee_id=None)
    assert task.assignee_id is None
    assert (await _actions(session, task.id))[-2:] == ["task.assigned", "task.unassigned"]


async def test_only_members_can_be_assigned(session: AsyncSession, acme: Team) -> None:
    stranger = await factories.user(session, first_name="Stranger")
    before = await snapshot(session)
    with pytest.raises(NotFound) as refused:
        await tasks.assign_task(
            session, actor=acme.owner_actor, number=acme.task.number, assignee_id=stranger.id
        )
    assert refused.value.key == "errors.not_found.member"
    assert await snapshot(session) == before


async def test_due_dates_are_set_and_cleared(session: AsyncSession, acme: Team) -> None:
    actor, number = acme.member_actor, acme.task.number
    due = NOW + timedelta(days=1)
    task = await tasks.set_due(session, actor=actor, number=number, due_at=due, now=NOW)
    assert task.due_at == due
    task = await tasks.set_due(session, actor=actor, number=number, due_at=None)
    assert task.due_at is None
    log = await session.scalar(
        select(AuditLog).where(AuditLog.action == "task.due_changed").order_by(AuditLog.id)
    )
    assert log is not None
    assert log.details == {"number": 1, "before": None, "after": due.isoformat()}


@pytest.mark.parametrize(
    ("due", "key"),
    [
        (NOW, "errors.invalid.due_in_past"),
        (NOW - timedelta(days=1), "errors.invalid.due_in_past"),
        (datetime(2027, 1, 1, 12, 0), "errors.invalid.due_date"),  # noqa: DTZ001 - naive on purpose
    ],
)
async def test_past_or_naive_due_dates_are_refused(
    session: AsyncSession, acme: Team, due: datetime, key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await tasks.set_due(
            session, actor=acme.member_actor, number=acme.task.number, due_at=due, now=NOW
        )
    assert refused.value.key == key


async def test_priority_project_and_description(session: AsyncSession, acme: Team) -> None:
    actor, number = acme.member_actor, acme.task.number
    other = await projects.create_project(session, actor=acme.owner_actor, name="Mobile")
    await tasks.set_priority(session, actor=actor, number=number, priority=TaskPriority.URGENT)
    await tasks.move_to_project(session, actor=actor, number=number, project_id=other.id)
    await tasks.set_description(session, actor=actor, number=number, description="Steps")
    task = await tasks.move_to_project(session, actor=actor, number=number, project_id=None)
    assert (task.priority, task.project_id, task.description) == (
        TaskPriority.URGENT,
        None,
        "Steps",
    )
    assert (await _actions(session, task.id))[-4:] == [
        "task.priority_changed",
        "task.moved",
        "task.description_changed",
        "task.moved",
    ]
