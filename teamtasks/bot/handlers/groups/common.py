"""What the group handlers share: which updates are a group's."""

from __future__ import annotations

from aiogram import F

from teamtasks.bot.filters import Magic
from teamtasks.bot.middlewares.group_chat import GROUP_TYPES

IN_GROUP = Magic(F.chat.type.in_(GROUP_TYPES))
"""A message, or Telegram's news of a chat member, in a group or supergroup."""
PRESSED_IN_GROUP = Magic(F.message.chat.type.in_(GROUP_TYPES))
"""A button of a message in a group or supergroup."""
