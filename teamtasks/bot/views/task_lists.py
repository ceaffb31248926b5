"""Lists of tasks: a page of lines, a button per task, paging, and the list's own filters.

Budgets in UTF-16 units: 10 lines of a 160-unit title plus about 80 of status and due date,
a header with up to 200 of a search or project name: under 2,700 of 4,096.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton

from teamtasks.bot.callbacks.work import (
    ListKind,
    ProjectAction,
    ProjectCallback,
    TaskAction,
    TaskCallback,
    TaskListCallback,
)
from teamtasks.bot.views.task_card import due_text
from teamtasks.bot.views.work import (
    Screen,
    button,
    keyboard,
    marked,
    page_range,
    paging_row,
    safe,
    t,
)
from teamtasks.models import Task
from teamtasks.models.enums import Language, TaskStatus
from teamtasks.services.actors import Actor
from teamtasks.services.paging import Page

LINE_TITLE_UNITS = 160
HEADER_NAME_UNITS = 200
ALL_MINE = "all"


@dataclass(frozen=True)
class TaskList:
    """Which list a page belongs to; `value` as its buttons carry it, `name` for the header."""

    kind: ListKind
    value: str = ""
    name: str = ""


def list_screen(tasks: Page[Task], which: TaskList, actor: Actor, language: Language) -> Screen:
    """A page of a task list with its buttons."""
    lines = [_header(which, language) + page_range(tasks, language)]
    if tasks.items:
        lines += [_line(task, actor, language) for task in tasks.items]
    else:
        lines.append(t(language, _empty_key(which)))
    rows = [
        [
            button(
                t(language, "work.button.task", number=task.number, title=task.title),
                TaskCallback(number=task.number, action=TaskAction.OPEN),
            )
        ]
        for task in tasks.items
    ]
    rows.append(
        paging_row(
            tasks,
            language,
            lambda offset: TaskListCallback(kind=which.kind, value=which.value, offset=offset),
        )
    )
    rows += _filters(which, language)
    return Screen("\n".join(lines), keyboard(rows))


def _header(which: TaskList, language: Language) -> str:
    name = safe(which.name, HEADER_NAME_UNITS)
    if which.kind is ListKind.STATUS:
        name = t(language, f"task.status.{which.value}")
    key = "work.list.my_all" if which.kind is ListKind.MY and which.value else "work.list.my"
    if which.kind is not ListKind.MY:
        key = f"work.list.{which.kind.name.lower()}"
    return t(language, key, name=name)


def _empty_key(which: TaskList) -> str:
    if which.kind is ListKind.MY:
        return "work.list.empty_all" if which.value else "work.list.empty_my"
    if which.kind is ListKind.SEARCH:
        return "work.list.empty_search"
    return "work.list.empty"


def _line(task: Task, actor: Actor, language: Language) -> str:
    line = t(
        language,
        "work.list.line",
        number=task.number,
        title=safe(task.title, LINE_TITLE_UNITS),
        status=t(language, f"task.status.{task.status.value}"),
    )
    if task.due_at is None:
        return line
    return line + t(language, "work.list.due", due=due_text(task, actor, language))


def _filters(which: TaskList, language: Language) -> list[list[InlineKeyboardButton]]:
    if which.kind is ListKind.MY:
        toggle = "work.button.open_only" if which.value else "work.button.show_closed"
        value = "" if which.value else ALL_MINE
        return [[button(t(language, toggle), TaskListCallback(kind=ListKind.MY, value=value))]]
    if which.kind is ListKind.PROJECT:
        back = ProjectCallback(action=ProjectAction.OPEN, project_id=int(which.value))
        return [[button(t(language, "work.button.to_project"), back)]]
    if which.kind not in (ListKind.STATUS, ListKind.OVERDUE):
        return []
    statuses = [
        button(
            marked(
                language,
                t(language, f"task.status.{status.value}"),
                which.kind is ListKind.STATUS and which.value == status.value,
            ),
            TaskListCallback(kind=ListKind.STATUS, value=status.value),
        )
        for status in TaskStatus
    ]
    overdue = button(
        marked(language, t(language, "work.button.overdue"), which.kind is ListKind.OVERDUE),
        TaskListCallback(kind=ListKind.OVERDUE),
    )
    return [statuses[:2], statuses[2:], [overdue]]
