"""Helpers for the user-side JSON endpoints (``/emulator/api/...``)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .bot_api import EMULATOR_KEY
from .core import Emulator
from .models import ChatRecord, UserRecord


def emulator_of(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


def fail(status: int, message: str) -> web.HTTPException:
    """An error answered as ``{"error": message}``."""
    error_class: type[web.HTTPException] = {
        400: web.HTTPBadRequest,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
    }[status]
    return error_class(text=json.dumps({"error": message}), content_type="application/json")


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise fail(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise fail(400, "the body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str, *, optional: bool = False) -> int | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise fail(400, f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise fail(400, f"{name} must be an integer") from None


def path_int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise fail(404, f"no such {name}") from None


def user_or_404(emulator: Emulator, user_id: int | None) -> UserRecord:
    user = emulator.store.users.get(user_id) if user_id is not None else None
    if user is None:
        raise fail(404, f"user {user_id} not found")
    return user


def chat_or_404(emulator: Emulator, chat_id: int) -> ChatRecord:
    chat = emulator.store.chats.get(chat_id)
    if chat is None:
        raise fail(404, f"chat {chat_id} not found")
    return chat
