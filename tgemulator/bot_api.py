"""HTTP entry points of the bot side: ``/bot<token>/<method>`` and file downloads."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from . import methods_chats, methods_files, methods_messages, methods_payments, methods_updates
from .core import Emulator
from .errors import NOT_FOUND, UNAUTHORIZED, ApiError, GatewayError
from .methods_base import Described, Handler
from .methods_files import MAX_DOWNLOAD_BYTES
from .models import RecordedCall
from .params import Params, read_request_params

EMULATOR_KEY = web.AppKey("emulator", Emulator)

_REGISTRY: dict[str, Handler] = {
    **methods_updates.METHODS,
    **methods_messages.METHODS,
    **methods_files.METHODS,
    **methods_payments.METHODS,
    **methods_chats.METHODS,
}
METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler) for name, handler in _REGISTRY.items()
}


def _chat_id(params: Params) -> int | None:
    try:
        return params.integer("chat_id")
    except ApiError:
        return None


async def call_method(
    emulator: Emulator, method: str, params: Params
) -> tuple[int, dict[str, Any] | str]:
    """Run a method by its (case-insensitive) name; return HTTP status and JSON body (or the
    HTML page of a proxy's failure made with `Emulator.fail_next`)."""
    entry = METHODS.get(method.lower())
    if entry is None:
        return NOT_FOUND.status, NOT_FOUND.to_json()
    name, handler = entry
    body: dict[str, Any] | str
    try:
        failure = emulator.failure_for(name)
        if failure is not None:
            raise failure
        result = await handler(emulator, params)
    except ApiError as error:
        status, body = error.status, error.to_json()
    except GatewayError as error:
        status, body = error.status, error.page
    else:
        status, body = 200, {"ok": True, "result": result}
        if isinstance(result, Described):
            body = {"ok": True, "result": result.result, "description": result.description}
    emulator.calls.append(
        RecordedCall(
            method=name,
            chat_id=_chat_id(params),
            at=time.monotonic(),
            ok=status == 200,
            error_code=None if status == 200 else status,
        )
    )
    return status, body


async def execute_quietly(emulator: Emulator, method: str, params: Params) -> None:
    """Run a method returned in a webhook response; Telegram drops its result."""
    await call_method(emulator, method, params)


async def handle_method(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    if request.match_info["token"] != emulator.config.bot_token:
        return web.json_response(UNAUTHORIZED.to_json(), status=UNAUTHORIZED.status)
    try:
        params = await read_request_params(request)
    except ApiError as error:
        return web.json_response(error.to_json(), status=error.status)
    status, body = await call_method(emulator, request.match_info["method"], params)
    if isinstance(body, str):
        return web.Response(text=body, status=status, content_type="text/html")
    return web.json_response(body, status=status)


async def handle_file(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    record = emulator.store.file_by_path(request.match_info["path"])
    if (
        request.match_info["token"] != emulator.config.bot_token
        or record is None
        or record.size > MAX_DOWNLOAD_BYTES
    ):
        return web.json_response(NOT_FOUND.to_json(), status=NOT_FOUND.status)
    return web.Response(
        body=record.data, content_type=record.mime_type or "application/octet-stream"
    )


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_route("GET", "/file/bot{token}/{path:.+}", handle_file)
