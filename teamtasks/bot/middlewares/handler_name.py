"""Names the handler that took the update, for the logs and the metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class HandlerNameMiddleware(BaseMiddleware):
    """An inner middleware: it runs only once a handler matched, and knows which one."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        handler_object = data.get("handler")
        if isinstance(handler_object, HandlerObject):
            callback = handler_object.callback
            name = f"{callback.__module__.rsplit('.', 1)[-1]}.{callback.__qualname__}"
            structlog.contextvars.bind_contextvars(handler=name)
        return await handler(event, data)
