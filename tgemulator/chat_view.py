"""What a person sees: the bot, chats and their messages, with long polls for changes.

``after=<message_id>`` returns messages newer than that id; ``since_seq=<n>`` returns the
messages changed (sent or edited) after the chat's change counter was ``n``, plus the ids
deleted since then. With ``wait=<seconds>`` an ``after`` request returns as soon as the bot
has sent a message newer than ``after``, and a ``since_seq`` request as soon as anything in
the chat changed (whoever sent, edited or deleted it); either returns when the time is up
or the server stops.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .html_render import render_html
from .http_util import chat_or_404, emulator_of, fail, path_int
from .methods_chats import DEFAULT_SCOPE, commands_key
from .models import ChatRecord, MessageRecord
from .serialize import chat_json

BOT = "/emulator/api/bot"
CHATS = "/emulator/api/chats"
FILES = "/emulator/files/"
MAX_WAIT = 60.0


def _float_query(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise fail(400, f"{name} must be a number") from None


def _with_url(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "url": FILES + record["file_id"]}


def message_view(chat: ChatRecord, message: MessageRecord) -> dict[str, Any]:
    content = message.content
    text = content.get("text", content.get("caption"))
    entities = content.get("entities", content.get("caption_entities", []))
    service_keys = (
        "group_chat_created",
        "new_chat_members",
        "left_chat_member",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "successful_payment",
    )
    service = {key: content[key] for key in service_keys if key in content}
    photo = content.get("photo")
    view: dict[str, Any] = {
        "message_id": message.message_id,
        "from": "bot" if message.from_bot else "user",
        "date": message.date,
        "text": text,
        "html": render_html(text, entities) if text is not None else None,
        "entities": entities,
        "reply_to_message_id": message.reply_to,
        "reply_markup": message.markup,
        "document": _with_url(content["document"]) if "document" in content else None,
        "photo": _with_url(photo[-1]) if photo else None,
        "invoice": content.get("invoice"),
        "successful_payment": content.get("successful_payment"),
        "service": service or None,
        "edited": message.edit_date is not None,
        "seq": message.seq,
    }
    if not message.from_bot:
        view["user_id"] = message.sender_id
    return view


async def get_bot(request: web.Request) -> web.Response:
    """The bot as people see it: its name and the commands of its default menu."""
    emulator = emulator_of(request)
    bot = {key: emulator.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}
    commands = emulator.store.commands.get(commands_key(DEFAULT_SCOPE, ""), [])
    return web.json_response({**bot, "commands": commands})


async def list_chats(request: web.Request) -> web.Response:
    store = emulator_of(request).store
    return web.json_response({"chats": [chat_json(chat, store) for chat in store.chats.values()]})


async def get_chat(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = chat_or_404(emulator, path_int(request, "chat_id"))
    return web.json_response(
        {
            "chat": chat_json(chat, emulator.store),
            "member_ids": chat.member_ids,
            "bot_status": chat.bot_status,
            "migrated_to_chat_id": chat.migrated_to,
            "reply_keyboard": chat.reply_keyboard,
            "seq": chat.seq,
        }
    )


async def list_messages(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = chat_or_404(emulator, path_int(request, "chat_id"))
    after = int(_float_query(request, "after") or 0)
    since_seq = _float_query(request, "since_seq")
    wait = min(_float_query(request, "wait") or 0.0, MAX_WAIT)

    def ready() -> bool:
        if emulator.closing:
            return True
        if since_seq is None:
            return any(m.from_bot and m.message_id > after for m in chat.messages.values())
        return chat.seq > since_seq

    if wait > 0:
        await emulator.store.changes.wait_for(ready, wait)
    messages = sorted(chat.messages.values(), key=lambda m: m.message_id)
    if since_seq is None:
        chosen = [m for m in messages if m.message_id > after]
    else:
        chosen = [m for m in messages if m.seq > since_seq]
    body: dict[str, Any] = {
        "messages": [message_view(chat, m) for m in chosen],
        "seq": chat.seq,
    }
    if since_seq is not None:
        body["deleted"] = sorted(i for i, seq in chat.deleted.items() if seq > since_seq)
    return web.json_response(body)


async def download(request: web.Request) -> web.Response:
    record = emulator_of(request).store.files.get(request.match_info["file_id"])
    if record is None:
        raise fail(404, "file not found")
    disposition = f'inline; filename="{record.file_name or record.file_path.rsplit("/", 1)[-1]}"'
    return web.Response(
        body=record.data,
        content_type=record.mime_type or "application/octet-stream",
        headers={"Content-Disposition": disposition},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(BOT, get_bot)
    app.router.add_get(CHATS, list_chats)
    app.router.add_get(CHATS + "/{chat_id}", get_chat)
    app.router.add_get(CHATS + "/{chat_id}/messages", list_messages)
    app.router.add_get(FILES + "{file_id}", download)
