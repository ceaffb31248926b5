"""Waiting out Telegram's flood control instead of losing the reply.

Past its limits Telegram answers 429 with `retry_after`, and aiogram has no retry of its own:
a reply to a person who pressed buttons quickly would be dropped. This request middleware waits
the time Telegram asks for and sends again, a few times, within a bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod

log = structlog.stdlib.get_logger("teamtasks.bot")


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 4, longest_wait: float = 30.0) -> None:
        self._attempts = attempts
        self._longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self._attempts or exc.retry_after > self._longest_wait:
                    raise
                log.info("flood_wait", method=type(method).__name__, seconds=exc.retry_after)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable: the last attempt returns or raises")
