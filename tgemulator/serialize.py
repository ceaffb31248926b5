"""Bot API JSON objects built from the emulator's records."""

from __future__ import annotations

from typing import Any

from .keyboards import is_inline
from .models import ChatRecord, FileRecord, MessageRecord, UserRecord
from .store import Store


def user_json(user: UserRecord) -> dict[str, Any]:
    result: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    for key in ("last_name", "username", "language_code"):
        value = getattr(user, key)
        if value:
            result[key] = value
    return result


def chat_json(chat: ChatRecord, store: Store) -> dict[str, Any]:
    result: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.type == "private":
        user = store.users[chat.id]
        result["first_name"] = user.first_name
        if user.last_name:
            result["last_name"] = user.last_name
        if user.username:
            result["username"] = user.username
    else:
        result["title"] = chat.title or ""
    return result


def chat_full_info_json(chat: ChatRecord, store: Store) -> dict[str, Any]:
    return {
        **chat_json(chat, store),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def chat_member_json(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member


def document_json(record: FileRecord) -> dict[str, Any]:
    result: dict[str, Any] = {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": record.size,
    }
    if record.file_name:
        result["file_name"] = record.file_name
    if record.mime_type:
        result["mime_type"] = record.mime_type
    return result


def photo_json(record: FileRecord) -> list[dict[str, Any]]:
    """One ``PhotoSize``: the emulator keeps the uploaded image and makes no thumbnails."""
    return [
        {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.size,
            "width": record.width or 0,
            "height": record.height or 0,
        }
    ]


def file_json(record: FileRecord) -> dict[str, Any]:
    return {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": record.size,
        "file_path": record.file_path,
    }


class Serializer:
    """Builds ``Message`` and related objects; knows the bot's own ``User``."""

    def __init__(self, store: Store, bot_user: dict[str, Any]) -> None:
        self.store = store
        self.bot_user = bot_user

    def sender_json(self, message: MessageRecord) -> dict[str, Any]:
        if message.from_bot:
            return self.bot_user
        return user_json(self.store.users[message.sender_id])

    def message_json(self, message: MessageRecord, *, with_reply: bool = True) -> dict[str, Any]:
        chat = self.store.chats[message.chat_id]
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.sender_json(message),
            "chat": chat_json(chat, self.store),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if with_reply and message.reply_to is not None:
            replied = chat.messages.get(message.reply_to)
            if replied is not None:
                result["reply_to_message"] = self.message_json(replied, with_reply=False)
        result.update(message.content)
        if is_inline(message.markup):
            result["reply_markup"] = message.markup
        return result
