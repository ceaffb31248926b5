"""Telegram's size limits, answered with Telegram's errors."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from tgemulator.client import EmulatorClient

from .support import RawApi

EMOJI = "😀"


async def _started(client: EmulatorClient) -> int:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    return anna.id


async def test_text_length_is_counted_in_utf16(api: RawApi, client: EmulatorClient) -> None:
    chat_id = await _started(client)
    fits = await api("sendMessage", chat_id=chat_id, text=EMOJI * 2048)
    assert fits.status == 200
    too_long = await api("sendMessage", chat_id=chat_id, text=EMOJI * 2048 + "x")
    assert too_long.status == 400
    assert too_long.description == "Bad Request: message is too long"
    formatted = "<b>" + "я" * 4096 + "</b>"
    assert (
        await api("sendMessage", chat_id=chat_id, text=formatted, parse_mode="HTML")
    ).status == 200


async def test_caption_limit(api: RawApi, client: EmulatorClient) -> None:
    chat_id = await _started(client)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", "c" * 1025)
    form.add_field("document", b"data", filename="a.txt")
    reply = await api("sendDocument", data=form)
    assert reply.description == "Bad Request: message caption is too long"


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("я" * 32, True),
        ("я" * 32 + "x", False),
        ("", False),
    ],
)
async def test_callback_data_is_limited_to_64_bytes(
    api: RawApi, client: EmulatorClient, data: str, ok: bool
) -> None:
    chat_id = await _started(client)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": data}]]}
    reply = await api("sendMessage", chat_id=chat_id, text="pick", reply_markup=markup)
    if ok:
        assert reply.status == 200
    else:
        assert reply.status == 400
        assert reply.description == "Bad Request: BUTTON_DATA_INVALID"


async def test_text_only_inline_buttons_are_refused(api: RawApi, client: EmulatorClient) -> None:
    chat_id = await _started(client)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("text", "pick")
    form.add_field("reply_markup", json.dumps({"inline_keyboard": [[{"text": "Go"}]]}))
    reply = await api("sendMessage", data=form)
    assert reply.description == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


async def test_get_file_refuses_files_over_20_mb(bot: Bot, client: EmulatorClient) -> None:
    chat_id = await _started(client)
    small = await bot.send_document(chat_id, BufferedInputFile(b"x" * (20 * 1024 * 1024), "a.bin"))
    assert small.document is not None
    assert (await bot.get_file(small.document.file_id)).file_path
    big = await bot.send_document(
        chat_id, BufferedInputFile(b"x" * (20 * 1024 * 1024 + 1), "b.bin")
    )
    assert big.document is not None
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big.document.file_id)
    again = await bot.send_document(chat_id, big.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == big.document.file_unique_id
