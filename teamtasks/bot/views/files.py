"""A task's files: the confirmation of an attached file, the paged list with its buttons, a
download link, the question before a deletion, and `/usage`.

Budgets in UTF-16 units: 5 files of a 255-unit name, a 64-unit uploader and about 60 of size and
time, plus the title and the legend: under 2,200 of 4,096.
"""

from __future__ import annotations

import html

from teamtasks.bot.callbacks.files import FileAction, FileCallback
from teamtasks.bot.callbacks.work import TaskAction, TaskCallback
from teamtasks.bot.views.work import (
    NAME_UNITS,
    Screen,
    button,
    keyboard,
    local_time,
    page_range,
    paging_row,
    safe,
    t,
)
from teamtasks.models import File
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor
from teamtasks.services.files import DownloadLink, FileEntry, StorageUsage
from teamtasks.services.paging import Page

PAGE_SIZE = 5
FILE_NAME_UNITS = 255
_UNITS = ("b", "kb", "mb", "gb", "tb")


def human_size(size: int, language: Language) -> str:
    """Bytes as people read them: "812 B", "4.5 MB", "1 GB", "12 MB" ("4,5 МБ" in Russian)."""
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    tenths = int(value * 10)  # cut, not rounded: 1023.99 MB free is never shown as 1024
    if unit == 0 or value >= 10 or tenths % 10 == 0:
        shown = str(tenths // 10)
    else:
        shown = f"{tenths // 10}{t(language, 'files.size.decimal')}{tenths % 10}"
    return t(language, f"files.size.{_UNITS[unit]}", n=shown)


def _name(file: File) -> str:
    return safe(file.original_name, FILE_NAME_UNITS)


def _list(number: int, offset: int = 0) -> FileCallback:
    return FileCallback(action=FileAction.LIST, number=number, offset=offset)


def _card(number: int) -> TaskCallback:
    return TaskCallback(number=number, action=TaskAction.CARD)


def attached_screen(file: File, number: int, language: Language) -> Screen:
    """The answer to a file that is now attached to task #number."""
    text = t(
        language,
        "files.attached",
        name=_name(file),
        size=human_size(file.size_bytes, language),
        number=number,
    )
    rows = [
        [
            button(t(language, "files.button.files"), _list(number)),
            button(t(language, "work.button.to_task"), _card(number)),
        ]
    ]
    return Screen(text, keyboard(rows))


def files_screen(number: int, page: Page[FileEntry], actor: Actor, language: Language) -> Screen:
    """A page of the files of task #number, newest first, each with its three buttons."""
    lines = [t(language, "files.list.title", number=number) + page_range(page, language)]
    rows = []
    for index, entry in enumerate(page.items, start=page.offset + 1):
        file = entry.file
        uploader = entry.uploader_name
        lines.append(
            t(
                language,
                "files.list.line",
                index=index,
                name=_name(file),
                size=human_size(file.size_bytes, language),
                uploader=safe(uploader, NAME_UNITS) if uploader else t(language, "files.former"),
                time=local_time(file.created_at, actor.timezone),
            )
        )
        rows.append(
            [
                button(t(language, "files.button.link", index=index), _to(file, number, page)),
                button(
                    t(language, "files.button.send", index=index),
                    _to(file, number, page, FileAction.SEND),
                ),
                button(
                    t(language, "files.button.delete", index=index),
                    _to(file, number, page, FileAction.DELETE_ASK),
                ),
            ]
        )
    if page.items:
        lines.append(t(language, "files.list.legend"))
    else:
        lines.append(t(language, "files.list.empty", number=number))
    rows.append(paging_row(page, language, lambda offset: _list(number, offset)))
    rows.append([button(t(language, "work.button.to_task"), _card(number))])
    return Screen("\n\n".join(lines), keyboard(rows))


def _to(
    file: File, number: int, page: Page[FileEntry], action: FileAction = FileAction.LINK
) -> FileCallback:
    return FileCallback(action=action, number=number, file_id=file.id, offset=page.offset)


def link_screen(link: DownloadLink, actor: Actor, language: Language) -> Screen:
    """A download link, named as the file, and until when it works."""
    text = t(
        language,
        "files.link",
        url=html.escape(link.url, quote=True),
        name=_name(link.file),
        size=human_size(link.file.size_bytes, language),
        until=local_time(link.expires_at, actor.timezone),
        timezone=actor.timezone,
    )
    return Screen(text)


def delete_prompt(file: File, number: int, offset: int, language: Language) -> Screen:
    """The question before a file is deleted, in place of the list it was asked from."""
    text = t(
        language,
        "files.delete.ask",
        name=_name(file),
        size=human_size(file.size_bytes, language),
        number=number,
    )
    delete = FileCallback(action=FileAction.DELETE, number=number, file_id=file.id, offset=offset)
    rows = [
        [
            button(t(language, "files.button.confirm_delete"), delete),
            button(t(language, "files.button.keep"), _list(number, offset)),
        ]
    ]
    return Screen(text, keyboard(rows))


def usage_screen(usage: StorageUsage, language: Language) -> Screen:
    """`/usage`: the company's stored bytes against its quota."""
    percent = usage.used_bytes * 100 // usage.quota_bytes if usage.quota_bytes else 100
    return Screen(
        t(
            language,
            "files.usage",
            used=human_size(usage.used_bytes, language),
            quota=human_size(usage.quota_bytes, language),
            percent=percent,
            free=human_size(max(usage.quota_bytes - usage.used_bytes, 0), language),
        )
    )
