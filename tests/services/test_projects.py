"""Projects: managers create, rename, archive and restore them; everyone lists them, by pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog
from teamtasks.services import projects, tasks
from teamtasks.services.errors import Conflict, Forbidden
from tests.services.helpers import NOW, Team, snapshot


async def test_a_manager_runs_a_projects_life(session: AsyncSession, acme: Team) -> None:
    actor = acme.manager_actor
    project = await projects.create_project(session, actor=actor, name="  Mobile app ")
    assert (project.name, project.company_id, project.created_by_id) == (
        "Mobile app",
        acme.company.id,
        acme.manager.id,
    )
    await projects.rename_project(session, actor=actor, project_id=project.id, name="iOS app")
    await projects.archive_project(session, actor=actor, project_id=project.id, now=NOW)
    assert project.archived_at == NOW
    await projects.archive_project(session, actor=actor, project_id=project.id)
    assert project.archived_at == NOW
    await projects.restore_project(session, actor=actor, project_id=project.id)
    await projects.restore_project(session, actor=actor, project_id=project.id)
    assert project.archived_at is None

    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.entity_type == "project", AuditLog.entity_id == project.id)
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == ["project.created", "project.renamed", "project.archived", "project.restored"]


async def test_members_cannot_manage_projects(session: AsyncSession, acme: Team) -> None:
    actor, project_id = acme.member_actor, acme.project.id
    before = await snapshot(session)
    with pytest.raises(Forbidden) as refused:
        await projects.create_project(session, actor=actor, name="Mine")
    assert refused.value.key == "errors.forbidden.projects.manage"
    with pytest.raises(Forbidden):
        await projects.rename_project(session, actor=actor, project_id=project_id, name="Mine")
    with pytest.raises(Forbidden):
        await projects.archive_project(session, actor=actor, project_id=project_id)
    with pytest.raises(Forbidden):
        await projects.restore_project(session, actor=actor, project_id=project_id)
    assert await snapshot(session) == before


async def test_projects_are_listed_by_name_in_pages(session: AsyncSession, acme: Team) -> None:
    actor = acme.owner_actor
    for name in ["Delta", "alpha", "Charlie", "Bravo", "Echo"]:
        await projects.create_project(session, actor=actor, name=name)
    archived = await projects.create_project(session, actor=actor, name="Attic")
    await projects.archive_project(session, actor=actor, project_id=archived.id)

    first = await projects.list_projects(session, actor=acme.member_actor, limit=4)
    assert [p.name for p in first.items] == ["alpha", "Bravo", "Charlie", "Delta"]
    assert (first.has_more, first.next_offset, first.previous_offset) == (True, 4, None)
    second = await projects.list_projects(session, actor=actor, limit=4, offset=4)
    assert [p.name for p in second.items] == ["Echo", "Website"]
    assert (second.has_more, second.next_offset, second.previous_offset) == (False, None, 0)

    everything = await projects.list_projects(session, actor=actor, include_archived=True, limit=50)
    assert everything.items[-1].name == "Attic"
    assert len(everything.items) == 7


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-5, -5), (10**9, 10**12)])
async def test_forged_paging_gets_a_page_not_an_error(
    session: AsyncSession, acme: Team, limit: int, offset: int
) -> None:
    page = await projects.list_projects(session, actor=acme.owner_actor, limit=limit, offset=offset)
    assert 1 <= page.limit <= 50
    assert page.offset >= 0


async def test_an_archived_project_takes_no_new_tasks(session: AsyncSession, acme: Team) -> None:
    actor = acme.owner_actor
    await projects.archive_project(session, actor=actor, project_id=acme.project.id)
    other = await tasks.create_task(session, actor=actor, title="Loose")
    before = await snapshot(session)
    with pytest.raises(Conflict) as refused:
        await tasks.create_task(session, actor=actor, title="New", project_id=acme.project.id)
    assert refused.value.key == "errors.conflict.project_archived"
    with pytest.raises(Conflict):
        await tasks.move_to_project(
            session, actor=actor, number=other.number, project_id=acme.project.id
        )
    assert await snapshot(session) == before
