"""Projects: create, rename, archive, restore, list with paging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Project
from teamtasks.models.base import utcnow
from teamtasks.services import audit, limits
from teamtasks.services.actors import Actor, Permission, require, require_good_standing
from teamtasks.services.errors import NotFound
from teamtasks.services.paging import DEFAULT_LIMIT, Page, fetch_page
from teamtasks.services.validation import check_id, clean_line

NAME_MAX = 100


async def get_project(session: AsyncSession, *, actor: Actor, project_id: int) -> Project:
    """A project of the actor's company; NotFound for any other id."""
    check_id(project_id, NotFound("errors.not_found.project"))
    project = await session.scalar(
        select(Project).where(Project.id == project_id, Project.company_id == actor.company_id)
    )
    if project is None:
        raise NotFound("errors.not_found.project")
    return project


async def create_project(session: AsyncSession, *, actor: Actor, name: str) -> Project:
    """A new project (owners and managers), within the plan's number of open projects."""
    require(actor, Permission.MANAGE_PROJECTS)
    require_good_standing(actor)
    clean_name = clean_line(name, max_length=NAME_MAX)
    await limits.check_project_limit(session, company_id=actor.company_id)
    project = Project(company_id=actor.company_id, name=clean_name, created_by_id=actor.user_id)
    session.add(project)
    await session.flush()
    audit.record_by(session, actor, "project.created", "project", project.id, name=clean_name)
    return project


async def rename_project(
    session: AsyncSession, *, actor: Actor, project_id: int, name: str
) -> Project:
    """Rename a project (owners and managers)."""
    require(actor, Permission.MANAGE_PROJECTS)
    clean_name = clean_line(name, max_length=NAME_MAX)
    project = await get_project(session, actor=actor, project_id=project_id)
    if project.name != clean_name:
        audit.record_by(
            session,
            actor,
            "project.renamed",
            "project",
            project.id,
            before=project.name,
            after=clean_name,
        )
        project.name = clean_name
        await session.flush()
    return project


async def archive_project(
    session: AsyncSession, *, actor: Actor, project_id: int, now: datetime | None = None
) -> Project:
    """Archive a project: hidden from the default list, takes no new tasks; twice is a no-op."""
    require(actor, Permission.MANAGE_PROJECTS)
    project = await get_project(session, actor=actor, project_id=project_id)
    if project.archived_at is None:
        project.archived_at = now or utcnow()
        audit.record_by(session, actor, "project.archived", "project", project.id)
        await session.flush()
    return project


async def restore_project(session: AsyncSession, *, actor: Actor, project_id: int) -> Project:
    """Bring an archived project back (within the plan's limit); an active one is a no-op."""
    require(actor, Permission.MANAGE_PROJECTS)
    project = await get_project(session, actor=actor, project_id=project_id)
    if project.archived_at is not None:
        await limits.check_project_limit(session, company_id=actor.company_id)
        project.archived_at = None
        audit.record_by(session, actor, "project.restored", "project", project.id)
        await session.flush()
    return project


async def list_projects(
    session: AsyncSession,
    *,
    actor: Actor,
    include_archived: bool = False,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Project]:
    """The company's projects by name in any case, one page (archived last when included)."""
    statement = select(Project).where(Project.company_id == actor.company_id)
    if not include_archived:
        statement = statement.where(Project.archived_at.is_(None))
    statement = statement.order_by(
        Project.archived_at.is_not(None), func.lower(Project.name), Project.id
    )
    return await fetch_page(session, statement, limit=limit, offset=offset)
