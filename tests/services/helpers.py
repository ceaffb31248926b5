"""Helpers for service tests: a team built through the services, actors, database snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Base, Company, Invite, Project, Task, User
from teamtasks.models.enums import Role
from teamtasks.services import companies, invites, projects, tasks
from teamtasks.services.actors import Actor, actor_in
from tests.support import factories

NOW = datetime(2026, 11, 26, 11, 30, tzinfo=UTC)
"""A fixed "now": Thursday 26 November 2026, 14:30 in Moscow."""


@dataclass
class Team:
    company: Company
    owner: User
    manager: User
    member: User
    owner_actor: Actor
    manager_actor: Actor
    member_actor: Actor
    project: Project
    task: Task
    invite: Invite


async def actor_of(session: AsyncSession, user: User, company: Company) -> Actor:
    """The user's Actor in the company (they must be a member)."""
    actor = await actor_in(session, user=user, company_id=company.id)
    assert actor is not None, f"{user.first_name} is not a member of {company.name}"
    return actor


async def build_team(
    session: AsyncSession,
    *,
    name: str,
    names: tuple[str, str, str],
    first_task_number: int = 1,
) -> Team:
    """A company with an owner, a manager and a member, a project, a task and an invite."""
    owner = await factories.user(session, first_name=names[0])
    company = await companies.create_company(session, user=owner, name=name)
    manager = await factories.member(
        session, company=company, role=Role.MANAGER, first_name=names[1]
    )
    member = await factories.member(session, company=company, first_name=names[2])
    company.task_counter = first_task_number - 1
    await session.flush()
    owner_actor = await actor_of(session, owner, company)
    project = await projects.create_project(session, actor=owner_actor, name="Website")
    task = await tasks.create_task(
        session, actor=owner_actor, title=f"{name}: fix the login page", project_id=project.id
    )
    await tasks.assign_task(session, actor=owner_actor, number=task.number, assignee_id=member.id)
    invite = await invites.create_invite(session, actor=owner_actor)
    return Team(
        company=company,
        owner=owner,
        manager=manager,
        member=member,
        owner_actor=owner_actor,
        manager_actor=await actor_of(session, manager, company),
        member_actor=await actor_of(session, member, company),
        project=project,
        task=task,
        invite=invite,
    )


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (pending changes flushed first), to prove nothing changed."""
    await session.flush()
    state: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        state[table.name] = [tuple(row) for row in rows]
    return state
