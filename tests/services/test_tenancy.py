"""Tenant isolation: an actor of Acme handing in Globex's ids gets NotFound and changes nothing.

Anna is Acme's owner, so no permission check refuses first: only the company scope can stop
her. Functions that take no foreign id are shown to return or touch only Acme's rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, Company, Invite, Membership, Project, Task
from teamtasks.models.enums import Role, TaskPriority, TaskStatus
from teamtasks.services import (
    audit,
    comments,
    companies,
    invites,
    members,
    projects,
    task_lists,
    tasks,
)
from teamtasks.services.errors import NotFound
from tests.services.helpers import NOW, Team, snapshot

Call = Callable[[AsyncSession, Team, Team], Awaitable[Any]]

FOREIGN_ID_CALLS: dict[str, Call] = {
    "switch_company": lambda s, a, g: companies.switch_company(
        s, user=a.owner, company_id=g.company.id
    ),
    "get_membership": lambda s, a, g: members.get_membership(
        s, actor=a.owner_actor, user_id=g.member.id
    ),
    "change_role": lambda s, a, g: members.change_role(
        s, actor=a.owner_actor, user_id=g.member.id, role=Role.MANAGER
    ),
    "change_role_of_their_owner": lambda s, a, g: members.change_role(
        s, actor=a.owner_actor, user_id=g.owner.id, role=Role.MEMBER
    ),
    "remove_member": lambda s, a, g: members.remove_member(
        s, actor=a.owner_actor, user_id=g.member.id
    ),
    "revoke_invite": lambda s, a, g: invites.revoke_invite(
        s, actor=a.owner_actor, invite_id=g.invite.id
    ),
    "get_project": lambda s, a, g: projects.get_project(
        s, actor=a.owner_actor, project_id=g.project.id
    ),
    "rename_project": lambda s, a, g: projects.rename_project(
        s, actor=a.owner_actor, project_id=g.project.id, name="Mine now"
    ),
    "archive_project": lambda s, a, g: projects.archive_project(
        s, actor=a.owner_actor, project_id=g.project.id
    ),
    "restore_project": lambda s, a, g: projects.restore_project(
        s, actor=a.owner_actor, project_id=g.project.id
    ),
    "create_task_in_their_project": lambda s, a, g: tasks.create_task(
        s, actor=a.owner_actor, title="Sneaky", project_id=g.project.id
    ),
    "get_task": lambda s, a, g: tasks.get_task(s, actor=a.owner_actor, number=g.task.number),
    "get_task_card": lambda s, a, g: tasks.get_task_card(
        s, actor=a.owner_actor, number=g.task.number
    ),
    "set_status": lambda s, a, g: tasks.set_status(
        s, actor=a.owner_actor, number=g.task.number, status=TaskStatus.DONE
    ),
    "assign_their_task": lambda s, a, g: tasks.assign_task(
        s, actor=a.owner_actor, number=g.task.number, assignee_id=a.owner.id
    ),
    "assign_to_their_member": lambda s, a, g: tasks.assign_task(
        s, actor=a.owner_actor, number=a.task.number, assignee_id=g.member.id
    ),
    "set_due": lambda s, a, g: tasks.set_due(
        s, actor=a.owner_actor, number=g.task.number, due_at=NOW + timedelta(days=1), now=NOW
    ),
    "set_priority": lambda s, a, g: tasks.set_priority(
        s, actor=a.owner_actor, number=g.task.number, priority=TaskPriority.URGENT
    ),
    "move_their_task": lambda s, a, g: tasks.move_to_project(
        s, actor=a.owner_actor, number=g.task.number, project_id=a.project.id
    ),
    "move_to_their_project": lambda s, a, g: tasks.move_to_project(
        s, actor=a.owner_actor, number=a.task.number, project_id=g.project.id
    ),
    "set_description": lambda s, a, g: tasks.set_description(
        s, actor=a.owner_actor, number=g.task.number, description="mine"
    ),
    "list_project_tasks": lambda s, a, g: task_lists.list_project_tasks(
        s, actor=a.owner_actor, project_id=g.project.id
    ),
    "add_comment": lambda s, a, g: comments.add_comment(
        s, actor=a.owner_actor, number=g.task.number, text="hello"
    ),
    "list_comments": lambda s, a, g: comments.list_comments(
        s, actor=a.owner_actor, number=g.task.number
    ),
}


@pytest.mark.parametrize("call", FOREIGN_ID_CALLS.values(), ids=FOREIGN_ID_CALLS.keys())
async def test_another_companys_ids_are_not_found_and_change_nothing(
    session: AsyncSession, acme: Team, globex: Team, call: Call
) -> None:
    before = await snapshot(session)
    with pytest.raises(NotFound):
        await call(session, acme, globex)
    assert await snapshot(session) == before


FORGED = [0, -1, 2**31, 2**63, 10**30]

FORGED_ID_CALLS: dict[str, Callable[[AsyncSession, Team, int], Awaitable[Any]]] = {
    "switch_company": lambda s, a, x: companies.switch_company(s, user=a.owner, company_id=x),
    "change_role": lambda s, a, x: members.change_role(
        s, actor=a.owner_actor, user_id=x, role=Role.MEMBER
    ),
    "remove_member": lambda s, a, x: members.remove_member(s, actor=a.owner_actor, user_id=x),
    "revoke_invite": lambda s, a, x: invites.revoke_invite(s, actor=a.owner_actor, invite_id=x),
    "rename_project": lambda s, a, x: projects.rename_project(
        s, actor=a.owner_actor, project_id=x, name="x"
    ),
    "get_task": lambda s, a, x: tasks.get_task(s, actor=a.owner_actor, number=x),
    "get_task_card": lambda s, a, x: tasks.get_task_card(s, actor=a.owner_actor, number=x),
    "assign_task": lambda s, a, x: tasks.assign_task(
        s, actor=a.owner_actor, number=a.task.number, assignee_id=x
    ),
    "move_to_project": lambda s, a, x: tasks.move_to_project(
        s, actor=a.owner_actor, number=a.task.number, project_id=x
    ),
    "list_project_tasks": lambda s, a, x: task_lists.list_project_tasks(
        s, actor=a.owner_actor, project_id=x
    ),
    "add_comment": lambda s, a, x: comments.add_comment(
        s, actor=a.owner_actor, number=x, text="hi"
    ),
}


@pytest.mark.parametrize("forged", FORGED)
@pytest.mark.parametrize("call", FORGED_ID_CALLS.values(), ids=FORGED_ID_CALLS.keys())
async def test_forged_ids_out_of_any_range_are_not_found(
    session: AsyncSession,
    acme: Team,
    call: Callable[[AsyncSession, Team, int], Awaitable[Any]],
    forged: int,
) -> None:
    before = await snapshot(session)
    with pytest.raises(NotFound):
        await call(session, acme, forged)
    assert await snapshot(session) == before


async def _globex_rows(session: AsyncSession, globex: Team) -> dict[str, Any]:
    """What Globex owns, to check that Acme's actions leave it as it was."""
    company = globex.company.id
    return {
        "company": (
            await session.execute(
                select(Company.name, Company.timezone).where(Company.id == company)
            )
        ).all(),
        "memberships": (
            await session.execute(
                select(Membership.user_id, Membership.role).where(Membership.company_id == company)
            )
        ).all(),
        "projects": (
            await session.execute(
                select(Project.id, Project.name, Project.archived_at).where(
                    Project.company_id == company
                )
            )
        ).all(),
        "tasks": (
            await session.execute(
                select(Task.number, Task.title, Task.status).where(Task.company_id == company)
            )
        ).all(),
        "invites": (
            await session.execute(
                select(Invite.id, Invite.uses, Invite.revoked_at).where(
                    Invite.company_id == company
                )
            )
        ).all(),
        "audit": await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.company_id == company)
        ),
    }


async def test_acme_actions_without_foreign_ids_touch_only_acme(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    owner = acme.owner_actor
    globex_before = await _globex_rows(session, globex)

    await companies.rename_company(session, actor=owner, name="Acme Corp")
    await companies.set_timezone(session, actor=owner, timezone="Asia/Yekaterinburg")
    await invites.create_invite(session, actor=owner)
    project = await projects.create_project(session, actor=owner, name="Website")
    task = await tasks.create_task(session, actor=owner, title="Launch", project_id=project.id)
    await members.leave_company(session, actor=acme.manager_actor)

    assert task.number == acme.task.number + 1
    assert (await companies.get_company(session, actor=owner)).id == acme.company.id
    assert await _globex_rows(session, globex) == globex_before


async def test_lists_show_only_the_actors_company(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    owner = acme.owner_actor
    theirs = globex.task.title
    await tasks.set_due(
        session,
        actor=globex.owner_actor,
        number=globex.task.number,
        due_at=NOW + timedelta(hours=1),
        now=NOW,
    )
    await tasks.set_due(
        session, actor=owner, number=acme.task.number, due_at=NOW + timedelta(hours=1), now=NOW
    )

    listed_tasks = [
        *(await task_lists.list_my_tasks(session, actor=acme.member_actor)).items,
        *(
            await task_lists.list_tasks_by_status(session, actor=owner, status=TaskStatus.TODO)
        ).items,
        *(
            await task_lists.list_overdue_tasks(session, actor=owner, now=NOW + timedelta(days=1))
        ).items,
        *(await task_lists.search_tasks(session, actor=owner, query="login")).items,
    ]
    assert listed_tasks
    assert {task.company_id for task in listed_tasks} == {acme.company.id}
    assert (await task_lists.search_tasks(session, actor=owner, query=theirs)).items == []

    listed_projects = (
        await projects.list_projects(session, actor=owner, include_archived=True)
    ).items
    assert {project.company_id for project in listed_projects} == {acme.company.id}

    listed_members = await members.list_members(session, actor=owner)
    assert {member.user_id for member in listed_members} == {
        acme.owner.id,
        acme.manager.id,
        acme.member.id,
    }

    listed_invites = await invites.list_active_invites(session, actor=owner)
    assert [invite.id for invite in listed_invites] == [acme.invite.id]

    entries = await audit.recent(session, actor=owner, limit=100)
    assert entries
    assert {entry.log.company_id for entry in entries} == {acme.company.id}

    choices = await companies.list_my_companies(session, user=acme.owner)
    assert [choice.company_id for choice in choices] == [acme.company.id]


async def test_a_removed_member_is_no_longer_an_actor_there(
    session: AsyncSession, acme: Team
) -> None:
    from teamtasks.services.actors import resolve_actor

    await members.remove_member(session, actor=acme.owner_actor, user_id=acme.member.id)
    await session.refresh(acme.member)
    assert acme.member.active_company_id is None
    assert await resolve_actor(session, user=acme.member) is None
