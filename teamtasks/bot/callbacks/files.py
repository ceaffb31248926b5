"""Callback data of the buttons for a task's files: the list, a link, a re-send, a deletion.

File ids come back from the user's client and are never trusted: the services load a file by
(id, company), so a forged id of another company's file is "not found". The task's number only
says which list to show again; it, too, is looked up in the actor's company.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class FileAction(StrEnum):
    LIST = "ls"
    LINK = "ln"
    SEND = "sd"
    DELETE_ASK = "dq"
    """Ask to confirm the deletion."""
    DELETE = "dx"


class FileCallback(CallbackData, prefix="fil"):
    action: FileAction
    number: int
    """The task whose list the button belongs to."""
    file_id: int = 0
    offset: int = 0
    """The list's page to show (again)."""


FILE_PREFIX = f"{FileCallback.__prefix__}{FileCallback.__separator__}"
"""What the data of these buttons starts with (for answering garbled or stale ones)."""
