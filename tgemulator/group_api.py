"""The user side of groups: creating them with the bot, messages and files, members, upgrades."""

from __future__ import annotations

from aiohttp import web

from .http_util import (
    chat_or_404,
    emulator_of,
    fail,
    int_field,
    json_body,
    path_int,
    user_or_404,
)
from .models import ChatRecord, UserRecord
from .serialize import user_json
from .user_api import message_content, message_fields

GROUPS = "/emulator/api/groups"


def group_or_404(request: web.Request) -> ChatRecord:
    chat = chat_or_404(emulator_of(request), path_int(request, "chat_id"))
    if not chat.is_group:
        raise fail(404, f"chat {chat.id} is not a group")
    if chat.migrated_to is not None:
        raise fail(409, f"the group was upgraded to supergroup {chat.migrated_to}")
    return chat


def _actor(request: web.Request, chat: ChatRecord, body: dict[str, object]) -> UserRecord:
    """The acting user: ``user_id`` from the body, or the group's creator."""
    user_id = int_field(body, "user_id", optional=True) or chat.member_ids[0]
    return user_or_404(emulator_of(request), user_id)


async def create_group(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    title = body.get("title")
    member_ids = body.get("member_ids")
    if not isinstance(title, str) or not title:
        raise fail(400, "title is required")
    if not isinstance(member_ids, list) or not member_ids:
        raise fail(400, "member_ids must be a non-empty list")
    members = [user_or_404(emulator, int_field({"id": m}, "id")) for m in member_ids]
    chat = emulator.store.new_group(title, [m.id for m in members])
    creator = members[0]
    emulator.member_update(
        "my_chat_member", chat, user_json(creator), emulator.bot_user, "left", "member"
    )
    emulator.user_message(chat, creator, {"group_chat_created": True}, service=True)
    return web.json_response({"id": chat.id})


async def send_message(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = group_or_404(request)
    fields = await message_fields(request)
    user = user_or_404(emulator, int_field(fields, "user_id"))
    if user.id not in chat.member_ids:
        raise fail(403, f"user {user.id} is not a member of chat {chat.id}")
    reply_to = int_field(fields, "reply_to_message_id", optional=True)
    if reply_to is not None and reply_to not in chat.messages:
        raise fail(404, f"message {reply_to} not found in chat {chat.id}")
    content = message_content(emulator, fields)
    message = emulator.user_message(chat, user, content, reply_to=reply_to)
    return web.json_response({"message_id": message.message_id})


async def add_member(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = group_or_404(request)
    body = await json_body(request)
    user = user_or_404(emulator, int_field(body, "user_id"))
    if user.id in chat.member_ids:
        raise fail(409, f"user {user.id} is already a member")
    chat.member_ids.append(user.id)
    member = user_json(user)
    emulator.member_update("chat_member", chat, member, member, "left", "member")
    emulator.user_message(chat, user, {"new_chat_members": [member]}, service=True)
    return web.json_response({"id": chat.id, "member_ids": chat.member_ids})


async def migrate(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = group_or_404(request)
    if chat.type != "group":
        raise fail(409, "only a basic group can be upgraded")
    user = _actor(request, chat, await json_body(request) if request.can_read_body else {})
    supergroup = emulator.store.migrate_group(chat)
    emulator.user_message(chat, user, {"migrate_to_chat_id": supergroup.id}, service=True)
    emulator.user_message(supergroup, user, {"migrate_from_chat_id": chat.id}, service=True)
    return web.json_response({"id": supergroup.id})


async def remove_bot(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    chat = group_or_404(request)
    user = _actor(request, chat, await json_body(request) if request.can_read_body else {})
    if chat.bot_status != "member":
        raise fail(409, "the bot is not in this group")
    emulator.member_update(
        "my_chat_member", chat, user_json(user), emulator.bot_user, "member", "kicked"
    )
    chat.bot_status = "kicked"
    emulator.user_message(chat, user, {"left_chat_member": emulator.bot_user}, service=True)
    return web.json_response({"id": chat.id, "bot_status": chat.bot_status})


def add_routes(app: web.Application) -> None:
    app.router.add_post(GROUPS, create_group)
    group = GROUPS + "/{chat_id}"
    app.router.add_post(group + "/messages", send_message)
    app.router.add_post(group + "/members", add_member)
    app.router.add_post(group + "/migrate", migrate)
    app.router.add_post(group + "/remove_bot", remove_bot)
