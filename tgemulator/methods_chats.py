"""getChat, getChatMember, leaveChat and the bot's command list."""

from __future__ import annotations

import json
import re
from typing import Any

from .core import Emulator
from .errors import bad_request, required
from .methods_base import Handler
from .params import Params
from .serialize import chat_full_info_json, chat_member_json, user_json

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
MAX_COMMANDS = 100
MAX_DESCRIPTION_LENGTH = 256
DEFAULT_SCOPE = {"type": "default"}


async def get_chat(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params, writing=False)
    return chat_full_info_json(chat, emulator.store)


async def get_chat_member(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params, writing=False)
    user_id = params.integer("user_id")
    if user_id is None:
        raise required("user_id")
    if user_id == emulator.bot_id:
        return chat_member_json(emulator.bot_user, chat.bot_status)
    user = emulator.store.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.type == "private":
        status = "member" if user_id == chat.id else "left"
    elif user_id not in chat.member_ids:
        status = "left"
    else:
        status = "creator" if chat.member_ids[0] == user_id else "member"
    return chat_member_json(user_json(user), status)


async def leave_chat(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params, writing=False)
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    chat.bot_status = "left"
    emulator.member_update(
        "my_chat_member", chat, emulator.bot_user, emulator.bot_user, "member", "left"
    )
    emulator.store.changed()
    return True


def commands_key(scope: dict[str, Any], language_code: str) -> str:
    """Where ``Store.commands`` keeps the command list of a scope and language."""
    return json.dumps(scope, sort_keys=True) + "|" + language_code


def _commands_key(params: Params) -> str:
    scope = params.json_value("scope", "can't parse BotCommandScope JSON object")
    if not isinstance(scope, dict):
        scope = DEFAULT_SCOPE
    return commands_key(scope, params.text("language_code") or "")


async def set_my_commands(emulator: Emulator, params: Params) -> Any:
    commands = params.json_value("commands", "can't parse commands JSON object")
    if commands is None:
        raise required("commands")
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    emulator.store.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    emulator.store.changed()
    return True


async def get_my_commands(emulator: Emulator, params: Params) -> Any:
    return emulator.store.commands.get(_commands_key(params), [])


async def delete_my_commands(emulator: Emulator, params: Params) -> Any:
    emulator.store.commands.pop(_commands_key(params), None)
    emulator.store.changed()
    return True


METHODS: dict[str, Handler] = {
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "leaveChat": leave_chat,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
}
