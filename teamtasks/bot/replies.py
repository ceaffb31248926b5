"""Bot API calls a handler queues, sent in order only once the update's work committed.

A handler that has one thing to say returns it (`return message.answer(...)`), and aiogram sends
it after the middlewares. One that has more (edit the card, then answer the button) queues them
here; nothing reaches a person before the transaction that it speaks of has committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiogram.methods import TelegramMethod


class Replies:
    def __init__(self) -> None:
        self._methods: list[TelegramMethod[Any]] = []

    def add(self, method: TelegramMethod[Any]) -> None:
        self._methods.append(method)

    def __iter__(self) -> Iterator[TelegramMethod[Any]]:
        return iter(self._methods)
