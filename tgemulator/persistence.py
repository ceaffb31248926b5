"""Optional persistence: users, chats, messages, files, invoices and payments in a JSON file.

File contents live as separate files in ``<state file>.files/`` next to the state file.
The update queue, webhook and pending queries are not kept: they belong to a running bot.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from .models import (
    ChargeRecord,
    ChatRecord,
    FileRecord,
    InvoiceRecord,
    MessageRecord,
    UserRecord,
)
from .store import Store

FORMAT_VERSION = 1


def files_dir(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".files")


def _chat_to_json(chat: ChatRecord) -> dict[str, Any]:
    data = dataclasses.asdict(chat)
    data["messages"] = [dataclasses.asdict(m) for m in chat.messages.values()]
    data["deleted"] = [[message_id, seq] for message_id, seq in chat.deleted.items()]
    return data


def _chat_from_json(data: dict[str, Any]) -> ChatRecord:
    messages = [MessageRecord(**m) for m in data.pop("messages")]
    deleted = {int(message_id): int(seq) for message_id, seq in data.pop("deleted")}
    chat = ChatRecord(**data, deleted=deleted)
    chat.messages = {m.message_id: m for m in messages}
    return chat


def dump_state(store: Store) -> str:
    files = []
    for record in store.files.values():
        data = dataclasses.asdict(record)
        del data["data"]
        files.append(data)
    return json.dumps(
        {
            "version": FORMAT_VERSION,
            "counters": {
                "next_user_id": store.next_user_id,
                "next_group_number": store.next_group_number,
                "next_file_number": store.next_file_number,
            },
            "users": [dataclasses.asdict(u) for u in store.users.values()],
            "chats": [_chat_to_json(c) for c in store.chats.values()],
            "files": files,
            "invoices": {key: dataclasses.asdict(i) for key, i in store.invoices.items()},
            "charges": [dataclasses.asdict(c) for c in store.charges.values()],
            "commands": store.commands,
        },
        ensure_ascii=False,
    )


def write_state(state_path: Path, text: str, store_files: list[FileRecord]) -> None:
    """Write the JSON atomically and any file contents not yet on disk (blocking I/O)."""
    directory = files_dir(state_path)
    directory.mkdir(parents=True, exist_ok=True)
    for record in store_files:
        target = directory / record.file_id
        if not target.exists():
            target.write_bytes(record.data)
    temporary = state_path.with_name(state_path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, state_path)


def load_state(store: Store, state_path: Path) -> None:
    """Fill ``store`` from ``state_path`` when it exists (blocking I/O)."""
    if not state_path.exists():
        return
    data = json.loads(state_path.read_text(encoding="utf-8"))
    counters = data["counters"]
    store.next_user_id = counters["next_user_id"]
    store.next_group_number = counters["next_group_number"]
    store.next_file_number = counters["next_file_number"]
    store.users = {u["id"]: UserRecord(**u) for u in data["users"]}
    chats = [_chat_from_json(c) for c in data["chats"]]
    store.chats = {chat.id: chat for chat in chats}
    directory = files_dir(state_path)
    for item in data["files"]:
        blob = directory / item["file_id"]
        record = FileRecord(**item, data=blob.read_bytes() if blob.exists() else b"")
        store.files[record.file_id] = record
    store.invoices = {key: InvoiceRecord(**i) for key, i in data["invoices"].items()}
    store.charges = {c["charge_id"]: ChargeRecord(**c) for c in data["charges"]}
    store.commands = data["commands"]
