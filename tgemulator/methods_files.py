"""sendDocument, sendPhoto and getFile, with Telegram's size limits."""

from __future__ import annotations

import mimetypes
from typing import Any

import aiohttp

from .core import Emulator
from .errors import ApiError, bad_request
from .formatting import format_text
from .images import image_size
from .keyboards import reply_markup_param
from .methods_base import Handler
from .methods_messages import common_flags, text_content
from .models import FileRecord
from .params import Params, Upload
from .serialize import document_json, file_json, photo_json

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
_URL_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def _fetch_url(url: str) -> Upload:
    try:
        async with (
            aiohttp.ClientSession(timeout=_URL_TIMEOUT) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                raise bad_request("failed to get HTTP URL content")
            data = await response.read()
            content_type = response.content_type
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "file"
    return Upload(name, data, content_type)


def store_upload(emulator: Emulator, upload: Upload, kind: str) -> FileRecord:
    """Keep an uploaded file; photos must be images whose size can be read."""
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    size = None
    if kind == "photo":
        size = image_size(upload.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(upload.filename)[0] or mime
    return emulator.store.add_file(
        kind, upload.data, file_name=upload.filename, mime_type=mime, size=size
    )


async def input_file(emulator: Emulator, params: Params, kind: str) -> FileRecord:
    value = params.upload(kind)
    if value is None:
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        value = await _fetch_url(value)
    if isinstance(value, Upload):
        return store_upload(emulator, value, kind)
    record = emulator.store.files.get(value)
    if record is None:
        raise bad_request(WRONG_FILE_ID)
    if record.kind != kind:
        raise bad_request(f"can't use file of type {record.kind.title()} as {kind.title()}")
    return record


async def _send_file(emulator: Emulator, params: Params, kind: str) -> Any:
    chat = emulator.chat_for_bot(params)
    caption = format_text(
        params, text_field="caption", entities_field="caption_entities", caption=True
    )
    markup = reply_markup_param(params)
    reply_to = emulator.reply_target(chat, params)
    record = await input_file(emulator, params, kind)
    emulator.flood.check_send(chat.id, is_group=chat.is_group)
    content: dict[str, Any] = common_flags(params)
    if kind == "photo":
        content["photo"] = photo_json(record)
    else:
        content["document"] = document_json(record)
    if caption is not None:
        content.update(text_content(caption, "caption"))
    message = emulator.bot_message(chat, content, markup, reply_to)
    return emulator.serializer.message_json(message)


async def send_document(emulator: Emulator, params: Params) -> Any:
    return await _send_file(emulator, params, "document")


async def send_photo(emulator: Emulator, params: Params) -> Any:
    return await _send_file(emulator, params, "photo")


async def get_file(emulator: Emulator, params: Params) -> Any:
    record = emulator.store.files.get(params.text("file_id") or "")
    if record is None:
        raise bad_request(WRONG_FILE_ID)
    if record.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return file_json(record)


METHODS: dict[str, Handler] = {
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "getFile": get_file,
}
