"""Filters that are checked on the event loop.

aiogram runs a filter that is not a coroutine function (a bare `State`, a magic `F...`) through
`asyncio.to_thread`: a hop to a worker thread and back for every update that reaches it, which
cost more than the rest of the routing together. Ours are pure and cheap, so states are given as
`StateFilter(...)` and magic filters wrapped in `Magic(...)`, both coroutines.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter


class Magic(Filter):
    """A magic filter (`F.text.startswith("/")`) resolved against the event, in the loop."""

    __slots__ = ("magic",)

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


TEXT_ANSWER = Magic(F.text & ~F.text.startswith("/"))
"""A text message that is not a command: the answer a question in a conversation state waits for."""
