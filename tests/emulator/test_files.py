"""Documents and photos in both directions, in private chats and groups; getFile and downloads."""

from __future__ import annotations

import struct
import zlib

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from tgemulator import EmulatorServer
from tgemulator.client import ChatMessage, EmulatorClient, EmulatorError

from .support import BOT_USERNAME, RawApi


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_document_upload_get_file_and_download(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    sent = await bot.send_document(
        anna.id,
        BufferedInputFile(b"report body", "report.txt"),
        caption="<i>Weekly</i> report",
        parse_mode="HTML",
    )
    document = sent.document
    assert document is not None
    assert document.file_name == "report.txt"
    assert document.mime_type == "text/plain"
    assert document.file_size == len(b"report body")
    assert sent.caption == "Weekly report"
    assert sent.caption_entities is not None
    file = await bot.get_file(document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"report body"
    shown = await anna.wait_reply()
    assert shown.document is not None
    assert shown.html == "<i>Weekly</i> report"
    session = aiohttp.ClientSession()
    async with session, session.get(client.base_url + shown.document["url"]) as response:
        assert await response.read() == b"report body"


async def test_unknown_file_id_is_refused(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(anna.id, "BQACnothing")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.get_file("BQACnothing")


async def test_photo_gets_photo_sizes_and_non_images_are_refused(
    bot: Bot, client: EmulatorClient, api: RawApi
) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    sent = await bot.send_photo(anna.id, BufferedInputFile(tiny_png(3, 2), "p.png"))
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    resent = await bot.send_photo(anna.id, sent.photo[-1].file_id)
    assert resent.photo is not None
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(anna.id, BufferedInputFile(b"not an image", "p.png"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(anna.id, sent.photo[-1].file_id)
    missing = await api("sendDocument", chat_id=anna.id)
    assert missing.description == "Bad Request: there is no document in the request"


async def test_a_user_sends_a_document_and_a_photo(
    bot: Bot, client: EmulatorClient, api: RawApi, server: EmulatorServer
) -> None:
    anna = await client.create_user("Anna")
    await anna.send_file("notes.pdf", b"%PDF-1.4 notes", caption="my /notes")
    await anna.send_file("cat.png", tiny_png(5, 4), as_photo=True)
    updates = await api.updates()
    document_message = updates[0]["message"]
    assert document_message["document"]["file_name"] == "notes.pdf"
    assert document_message["document"]["mime_type"] == "application/pdf"
    assert document_message["caption"] == "my /notes"
    assert document_message["caption_entities"] == [
        {"type": "bot_command", "offset": 3, "length": 6}
    ]
    photo = updates[1]["message"]["photo"][-1]
    assert (photo["width"], photo["height"]) == (5, 4)
    file = await bot.get_file(document_message["document"]["file_id"])
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"%PDF-1.4 notes"


async def test_group_members_send_files(
    api: RawApi, client: EmulatorClient, server: EmulatorServer
) -> None:
    anna = await client.create_user("Anna")
    boris = await client.create_user("Boris")
    group = await client.create_group("Team", [anna, boris])
    await api.confirm_all()
    plan = await group.send_file(boris, "plan.txt", b"the plan", caption=f"/plan@{BOT_USERNAME}")
    await group.send_file(anna, "cat.png", tiny_png(2, 2), as_photo=True)
    bot_message = (await api("sendMessage", chat_id=group.id, text="Got it?")).result
    form = aiohttp.FormData({"user_id": str(anna.id), "caption": "yes, attached"})
    form.add_field("reply_to_message_id", str(bot_message["message_id"]))
    form.add_field("file", b"%PDF-1.4 notes", filename="notes.pdf")
    reply = await client.request("POST", f"/emulator/api/groups/{group.id}/messages", data=form)

    updates = [u["message"] for u in await api.confirm_all()]
    assert [(m["message_id"], m["from"]["id"]) for m in updates] == [
        (plan, boris.id),
        (reply["message_id"], anna.id),
    ]
    assert updates[0]["document"]["file_name"] == "plan.txt"
    assert updates[0]["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]
    assert updates[1]["document"]["mime_type"] == "application/pdf"
    assert updates[1]["reply_to_message"]["text"] == "Got it?"
    shown = [ChatMessage.from_view(m) for m in (await client.messages(group.id))["messages"]]
    photo = next(m for m in shown if m.photo is not None)
    assert photo.user_id == anna.id
    assert photo.photo is not None
    assert (photo.photo["width"], photo.photo["height"]) == (2, 2)

    files = len(server.emulator.store.files)
    outsider = await client.create_user("Oleg")
    with pytest.raises(EmulatorError) as refused:
        await group.send_file(outsider, "spam.txt", b"spam")
    assert refused.value.status == 403
    assert len(server.emulator.store.files) == files
