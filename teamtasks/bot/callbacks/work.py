"""Callback data of the work side: projects, tasks, task lists, comments, audit.

One class per prefix, with an action or kind. Task buttons carry the task's NUMBER in its
company, never a row id; project and member ids come back from the user's client and are never
trusted: the services load rows by (id or number, company) and refuse anything else. Data that
does not parse falls to the stale button handler through `WORK_PREFIXES`.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ProjectAction(StrEnum):
    LIST = "ls"
    OPEN = "o"
    NEW = "new"
    RENAME = "rn"
    ARCHIVE = "ar"
    RESTORE = "rs"
    NEW_TASK = "nt"


class ProjectCallback(CallbackData, prefix="prj"):
    action: ProjectAction
    project_id: int = 0
    offset: int = 0
    archived: bool = False
    """In the list: archived projects are shown too."""


class TaskAction(StrEnum):
    OPEN = "o"
    """Send the card as a new message (from a list)."""
    CARD = "c"
    """Show the card in place of this message (back from a menu)."""
    STATUS_MENU = "stm"
    STATUS = "st"
    PRIORITY_MENU = "prm"
    PRIORITY = "pr"
    ASSIGNEE_MENU = "asm"
    ASSIGN = "as"
    PROJECT_MENU = "pjm"
    PROJECT = "pj"
    DUE = "due"
    DUE_CLEAR = "duex"
    DESCRIPTION = "ds"
    DESCRIPTION_CLEAR = "dsx"
    COMMENT = "cm"


class TaskCallback(CallbackData, prefix="tsk"):
    number: int
    action: TaskAction
    value: str = ""
    """A status or priority, a member or project id ("" for none), or a menu page's offset."""


class ListKind(StrEnum):
    MY = "my"
    STATUS = "st"
    OVERDUE = "od"
    PROJECT = "pj"
    SEARCH = "q"
    GROUP = "g"
    """A group's open tasks: its project's, or the company's."""


class TaskListCallback(CallbackData, prefix="tl"):
    kind: ListKind
    value: str = ""
    """The status, the project id, "all" for all of my tasks, or the search's key; a group's
    list: its project id ("" for none)."""
    offset: int = 0


class CommentsCallback(CallbackData, prefix="cmt"):
    number: int
    offset: int = 0


class AuditCallback(CallbackData, prefix="aud"):
    offset: int = 0


WORK_PREFIXES = tuple(
    f"{cls.__prefix__}{cls.__separator__}"
    for cls in (
        ProjectCallback,
        TaskCallback,
        TaskListCallback,
        CommentsCallback,
        AuditCallback,
    )
)
"""What callback data of these buttons starts with (for answering garbled or stale ones)."""
