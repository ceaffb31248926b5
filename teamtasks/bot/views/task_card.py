"""The task card: its text, its buttons, and the menus that take the place of its buttons.

Budgets in UTF-16 units: title 512 (all of 256 characters), names 64 each, project 200,
description 1500, three comments of 64 + 300, labels about 300: under 3,800 of 4,096.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from teamtasks.bot.callbacks.files import FileAction, FileCallback
from teamtasks.bot.callbacks.work import CommentsCallback, TaskAction, TaskCallback
from teamtasks.bot.views.work import (
    NAME_UNITS,
    Screen,
    button,
    keyboard,
    local_time,
    marked,
    paging_row,
    safe,
    t,
)
from teamtasks.models import Project, Task
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, TaskPriority, TaskStatus
from teamtasks.services.actors import Actor
from teamtasks.services.comments import CommentEntry
from teamtasks.services.due_dates import format_due
from teamtasks.services.members import MemberInfo
from teamtasks.services.paging import Page
from teamtasks.services.tasks import OPEN_STATUSES, TaskCard

TITLE_UNITS = 512
PROJECT_UNITS = 200
DESCRIPTION_UNITS = 1500
CARD_COMMENTS = 3
CARD_COMMENT_UNITS = 300
MENU_PAGE = 8


def due_text(task: Task, actor: Actor, language: Language) -> str:
    """The due date shown back unambiguously, flagged when an open task is past it."""
    if task.due_at is None:
        return t(language, "work.card.no_due")
    shown = format_due(task.due_at, actor.timezone, language)
    if task.status in OPEN_STATUSES and task.due_at <= utcnow():
        return t(language, "work.card.overdue", due=shown)
    return shown


def card_screen(
    card: TaskCard,
    comments: Page[CommentEntry],
    actor: Actor,
    language: Language,
    *,
    header: str | None = None,
) -> Screen:
    """The card of a task with its latest comments and its buttons."""
    task = card.task
    lines = [header, ""] if header else []
    lines += [
        t(language, "work.card.title", number=task.number, title=safe(task.title, TITLE_UNITS)),
        t(language, "work.card.status", status=t(language, f"task.status.{task.status.value}")),
        t(
            language,
            "work.card.priority",
            priority=t(language, f"task.priority.{task.priority.value}"),
        ),
        t(language, "work.card.assignee", name=_name(card.assignee_name, language, "nobody")),
        t(language, "work.card.due", due=due_text(task, actor, language)),
        t(language, "work.card.project", name=_project_name(card.project_name, language)),
        t(language, "work.card.author", name=_name(card.author_name, language, "former")),
    ]
    if task.source_chat_id is not None and task.source_message_id is not None:
        lines.append(_source(task.source_chat_id, task.source_message_id, language))
    if task.description:
        lines += ["", safe(task.description, DESCRIPTION_UNITS)]
    if comments.items:
        lines += ["", t(language, "work.card.comments")]
        lines += [
            comment_text(entry, actor, language, CARD_COMMENT_UNITS) for entry in comments.items
        ]
    return Screen("\n".join(lines), card_keyboard(task, language, files=card.file_count))


def comment_text(entry: CommentEntry, actor: Actor, language: Language, units: int) -> str:
    """One comment: who, when (in the company's zone), what."""
    return t(
        language,
        "work.comment.line",
        author=_name(entry.author_name, language, "former"),
        time=local_time(entry.comment.created_at, actor.timezone),
        text=safe(entry.comment.text, units),
    )


SUPERGROUP_BASE = -1_000_000_000_000
"""A supergroup's chat id is this minus its channel id, which its message links carry."""


def _source(chat_id: int, message_id: int, language: Language) -> str:
    """Where the task was made from: a link to the message where Telegram has one (messages
    of supergroups), else the words alone (a basic group's messages have no links)."""
    if chat_id < SUPERGROUP_BASE:
        url = f"https://t.me/c/{SUPERGROUP_BASE - chat_id}/{message_id}"
        return t(language, "groups.card.source_link", url=url)
    return t(language, "groups.card.source")


def _name(name: str | None, language: Language, missing: str) -> str:
    return safe(name, NAME_UNITS) if name else t(language, f"work.card.{missing}")


def _project_name(name: str | None, language: Language) -> str:
    return safe(name, PROJECT_UNITS) if name else t(language, "work.card.no_project")


def _to(task: Task, action: TaskAction, value: str = "") -> TaskCallback:
    return TaskCallback(number=task.number, action=action, value=value)


def card_keyboard(task: Task, language: Language, *, files: int) -> InlineKeyboardMarkup:
    """The card's buttons, Files with the number of the task's files; a canceled task offers
    only its status and its comments."""
    comments = button(t(language, "work.button.comments"), CommentsCallback(number=task.number))
    status = button(t(language, "work.button.status"), _to(task, TaskAction.STATUS_MENU))
    comment = button(t(language, "work.button.comment"), _to(task, TaskAction.COMMENT))
    if task.status is TaskStatus.CANCELED:
        return keyboard([[status], [comment, comments]])
    return keyboard(
        [
            [
                status,
                button(t(language, "work.button.priority"), _to(task, TaskAction.PRIORITY_MENU)),
            ],
            [
                button(t(language, "work.button.assignee"), _to(task, TaskAction.ASSIGNEE_MENU)),
                button(t(language, "work.button.due"), _to(task, TaskAction.DUE)),
            ],
            [
                button(t(language, "work.button.project"), _to(task, TaskAction.PROJECT_MENU)),
                button(t(language, "work.button.description"), _to(task, TaskAction.DESCRIPTION)),
            ],
            [comment, comments],
            [
                button(
                    _files_label(files, language),
                    FileCallback(action=FileAction.LIST, number=task.number),
                )
            ],
        ]
    )


def _files_label(files: int, language: Language) -> str:
    if files == 0:
        return t(language, "files.button.files")
    return t(language, "files.button.files_count", count=files)


def _back(task: Task, language: Language) -> list[InlineKeyboardButton]:
    return [button(t(language, "work.button.back"), _to(task, TaskAction.CARD))]


def status_menu(task: Task, language: Language) -> InlineKeyboardMarkup:
    choices = [
        button(
            marked(language, t(language, f"task.status.{status.value}"), status is task.status),
            _to(task, TaskAction.STATUS, status.value),
        )
        for status in TaskStatus
    ]
    return keyboard([choices[:2], choices[2:], _back(task, language)])


def priority_menu(task: Task, language: Language) -> InlineKeyboardMarkup:
    choices = [
        button(
            marked(
                language, t(language, f"task.priority.{priority.value}"), priority is task.priority
            ),
            _to(task, TaskAction.PRIORITY, priority.value),
        )
        for priority in TaskPriority
    ]
    return keyboard([choices[:2], choices[2:], _back(task, language)])


def members_page(members: list[MemberInfo], offset: int) -> Page[MemberInfo]:
    """One page of the assignee picker."""
    offset = min(max(offset, 0), len(members))
    return Page(
        items=members[offset : offset + MENU_PAGE],
        offset=offset,
        limit=MENU_PAGE,
        has_more=len(members) > offset + MENU_PAGE,
    )


def assignee_menu(task: Task, page: Page[MemberInfo], language: Language) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                marked(language, _member_label(member), member.user_id == task.assignee_id),
                _to(task, TaskAction.ASSIGN, str(member.user_id)),
            )
        ]
        for member in page.items
    ]
    rows.append(
        paging_row(page, language, lambda offset: _to(task, TaskAction.ASSIGNEE_MENU, str(offset)))
    )
    if task.assignee_id is not None:
        rows.append([button(t(language, "work.button.unassign"), _to(task, TaskAction.ASSIGN))])
    rows.append(_back(task, language))
    return keyboard(rows)


def _member_label(member: MemberInfo) -> str:
    return f"{member.name} @{member.username}" if member.username else member.name


def project_menu(task: Task, page: Page[Project], language: Language) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                marked(language, project.name, project.id == task.project_id),
                _to(task, TaskAction.PROJECT, str(project.id)),
            )
        ]
        for project in page.items
    ]
    rows.append(
        paging_row(page, language, lambda offset: _to(task, TaskAction.PROJECT_MENU, str(offset)))
    )
    if task.project_id is not None:
        rows.append([button(t(language, "work.button.no_project"), _to(task, TaskAction.PROJECT))])
    rows.append(_back(task, language))
    return keyboard(rows)


def due_prompt(task: Task, actor: Actor, language: Language) -> Screen:
    """The question for a due date, with the current one and a button to remove it."""
    text = t(
        language,
        "work.ask.due",
        number=task.number,
        current=due_text(task, actor, language),
        timezone=actor.timezone,
    )
    if task.due_at is None:
        return Screen(text)
    remove = button(t(language, "work.button.remove_due"), _to(task, TaskAction.DUE_CLEAR))
    return Screen(text, keyboard([[remove]]))


def description_prompt(task: Task, language: Language) -> Screen:
    text = t(language, "work.ask.description", number=task.number)
    if task.description is None:
        return Screen(text)
    remove = button(
        t(language, "work.button.remove_description"), _to(task, TaskAction.DESCRIPTION_CLEAR)
    )
    return Screen(text, keyboard([[remove]]))
