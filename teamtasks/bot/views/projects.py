"""Projects: the paged list and one project's view, with buttons by the actor's rights.

Budgets in UTF-16 units: 10 names of 200 (all of 100 characters) plus a mark: under 2,500.
"""

from __future__ import annotations

from teamtasks.bot.callbacks.work import (
    ListKind,
    ProjectAction,
    ProjectCallback,
    TaskListCallback,
)
from teamtasks.bot.views.work import (
    Screen,
    button,
    keyboard,
    local_time,
    page_range,
    paging_row,
    safe,
    t,
)
from teamtasks.models import Project
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.paging import Page

NAME_UNITS = 200


def projects_screen(
    projects: Page[Project], actor: Actor, language: Language, *, archived: bool
) -> Screen:
    """A page of the company's projects (archived ones too when asked)."""
    title = "work.projects.title_all" if archived else "work.projects.title"
    lines = [t(language, title) + page_range(projects, language)]
    lines += [_line(project, language) for project in projects.items]
    manages = actor.can(Permission.MANAGE_PROJECTS)
    if not projects.items:
        lines.append(t(language, "work.projects.empty" if manages else "work.projects.empty_ask"))
    rows = [
        [button(project.name, ProjectCallback(action=ProjectAction.OPEN, project_id=project.id))]
        for project in projects.items
    ]
    rows.append(
        paging_row(
            projects,
            language,
            lambda offset: ProjectCallback(
                action=ProjectAction.LIST, offset=offset, archived=archived
            ),
        )
    )
    toggle = "work.button.hide_archived" if archived else "work.button.show_archived"
    extra = [
        button(
            t(language, toggle), ProjectCallback(action=ProjectAction.LIST, archived=not archived)
        )
    ]
    if manages:
        extra.insert(
            0,
            button(
                t(language, "work.button.new_project"), ProjectCallback(action=ProjectAction.NEW)
            ),
        )
    rows.append(extra)
    return Screen("\n".join(lines), keyboard(rows))


def _line(project: Project, language: Language) -> str:
    name = safe(project.name, NAME_UNITS)
    if project.archived_at is None:
        return t(language, "work.projects.line", name=name)
    return t(language, "work.projects.line_archived", name=name)


def project_screen(
    project: Project, actor: Actor, language: Language, *, header: str | None = None
) -> Screen:
    """One project: its state, its tasks, and what the actor may do with it."""
    lines = [header, ""] if header else []
    lines.append(t(language, "work.project.title", name=safe(project.name, NAME_UNITS)))
    if project.archived_at is None:
        lines.append(t(language, "work.project.active"))
    else:
        when = local_time(project.archived_at, actor.timezone)
        lines.append(t(language, "work.project.archived", when=when))

    def to(action: ProjectAction) -> ProjectCallback:
        return ProjectCallback(action=action, project_id=project.id)

    tasks = button(
        t(language, "work.button.project_tasks"),
        TaskListCallback(kind=ListKind.PROJECT, value=str(project.id)),
    )
    first = [tasks]
    if project.archived_at is None:
        first.append(button(t(language, "work.button.new_task"), to(ProjectAction.NEW_TASK)))
    second = []
    if actor.can(Permission.MANAGE_PROJECTS):
        second.append(button(t(language, "work.button.rename"), to(ProjectAction.RENAME)))
        if project.archived_at is None:
            second.append(button(t(language, "work.button.archive"), to(ProjectAction.ARCHIVE)))
        else:
            second.append(button(t(language, "work.button.restore"), to(ProjectAction.RESTORE)))
    back = button(
        t(language, "work.button.to_projects"), ProjectCallback(action=ProjectAction.LIST)
    )
    return Screen("\n".join(lines), keyboard([first, second, [back]]))
