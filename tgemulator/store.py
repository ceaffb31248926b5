"""All emulated state, with the id allocation rules Telegram follows.

Message ids are per chat and only grow; every change in a chat (new message, edit,
deletion) bumps that chat's ``seq`` so the chat page and tests can wait for edits too.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from .models import (
    ChargeRecord,
    ChatRecord,
    FileRecord,
    InvoiceRecord,
    MessageRecord,
    UserRecord,
)
from .notify import Notifier

FIRST_USER_ID = 700_000_001
FIRST_GROUP_NUMBER = 4_000_000_001
SUPERGROUP_PREFIX = 1_000_000_000_000


def now() -> int:
    return int(time.time())


def opaque_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


class Store:
    def __init__(self) -> None:
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.invoices: dict[str, InvoiceRecord] = {}
        self.charges: dict[str, ChargeRecord] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.next_user_id = FIRST_USER_ID
        self.next_group_number = FIRST_GROUP_NUMBER
        self.next_file_number = 1
        self.changes = Notifier()
        self.version = 0

    def changed(self) -> None:
        self.version += 1
        self.changes.notify()

    def new_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> UserRecord:
        user = UserRecord(self.next_user_id, first_name, last_name, username, language_code)
        self.next_user_id += 1
        self.users[user.id] = user
        self.changed()
        return user

    def private_chat(self, user: UserRecord) -> ChatRecord:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = ChatRecord(id=user.id, type="private", instance=str(secrets.randbits(62)))
            self.chats[user.id] = chat
        return chat

    def new_group(self, title: str, member_ids: list[int]) -> ChatRecord:
        chat = ChatRecord(
            id=-self.next_group_number,
            type="group",
            title=title,
            member_ids=list(member_ids),
            instance=str(secrets.randbits(62)),
        )
        self.next_group_number += 1
        self.chats[chat.id] = chat
        self.changed()
        return chat

    def migrate_group(self, group: ChatRecord) -> ChatRecord:
        """A supergroup with the ``-100...`` id Telegram gives an upgraded group."""
        supergroup = ChatRecord(
            id=-(SUPERGROUP_PREFIX + abs(group.id)),
            type="supergroup",
            title=group.title,
            member_ids=list(group.member_ids),
            bot_status=group.bot_status,
            instance=str(secrets.randbits(62)),
        )
        group.migrated_to = supergroup.id
        self.chats[supergroup.id] = supergroup
        return supergroup

    def add_message(
        self,
        chat: ChatRecord,
        *,
        sender_id: int,
        from_bot: bool,
        content: dict[str, Any],
        reply_to: int | None = None,
        markup: dict[str, Any] | None = None,
    ) -> MessageRecord:
        message = MessageRecord(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            sender_id=sender_id,
            from_bot=from_bot,
            date=now(),
            content=content,
            reply_to=reply_to,
            markup=markup,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.touch(chat, message)
        return message

    def touch(self, chat: ChatRecord, message: MessageRecord) -> None:
        chat.seq += 1
        message.seq = chat.seq
        self.changed()

    def delete_message(self, chat: ChatRecord, message_id: int) -> None:
        del chat.messages[message_id]
        chat.seq += 1
        chat.deleted[message_id] = chat.seq
        self.changed()

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: tuple[int, int] | None = None,
    ) -> FileRecord:
        folder = "photos" if kind == "photo" else "documents"
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        record = FileRecord(
            file_id=opaque_id("AgAC" if kind == "photo" else "BQAC"),
            file_unique_id=opaque_id("AQAD")[:20],
            kind=kind,
            size=len(data),
            file_path=f"{folder}/file_{self.next_file_number}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
            width=size[0] if size else None,
            height=size[1] if size else None,
            data=data,
        )
        self.next_file_number += 1
        self.files[record.file_id] = record
        self.changed()
        return record

    def file_by_path(self, file_path: str) -> FileRecord | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)
