"""Telegram updates built as Telegram sends them, for tests that feed the dispatcher directly."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from aiogram.types import Chat, Message, Update
from aiogram.types import User as TelegramUser

_update_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def message_update(
    text: str,
    *,
    user_id: int = 4242,
    first_name: str = "Anna",
    username: str | None = "anna",
    language_code: str | None = "en",
    update_id: int | None = None,
) -> Update:
    sender = TelegramUser(
        id=user_id,
        is_bot=False,
        first_name=first_name,
        username=username,
        language_code=language_code,
    )
    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private", first_name=first_name),
        from_user=sender,
        text=text,
    )
    return Update(update_id=update_id or next_update_id(), message=message)
