"""Callback data of a group's buttons: join its company, switch its announcements and joining.

The group is the chat the pressed message is in, never a value of the button; the services
check who presses (a manager or owner of the group's company for the switches).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class GroupAction(StrEnum):
    JOIN = "j"
    ANNOUNCE = "an"
    ALLOW_JOIN = "aj"


class GroupCallback(CallbackData, prefix="grp"):
    action: GroupAction
    on: bool = False
    """For a switch: the value it sets."""
