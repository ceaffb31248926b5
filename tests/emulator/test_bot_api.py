"""The Bot API wire format: routing, encodings, errors, and aiogram parsing every result."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient

from .support import BOT_USERNAME, TOKEN, RawApi

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


async def test_get_me_through_aiogram(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == BOT_USERNAME


async def test_wrong_token_is_unauthorized(api: RawApi) -> None:
    reply = await api("getMe", token="123456:WRONG")
    assert reply.status == 401
    assert reply.body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_not_found(api: RawApi) -> None:
    reply = await api("sendTelepathy")
    assert reply.status == 404
    assert reply.body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive_and_get_works(api: RawApi) -> None:
    reply = await api("GETME", http_method="GET")
    assert reply.status == 200
    assert reply.result["username"] == BOT_USERNAME


async def test_form_and_multipart_bodies(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    form = aiohttp.FormData({"chat_id": str(anna.id), "text": "from a form"})
    assert (await api("sendMessage", data=form)).result["text"] == "from a form"
    multipart = aiohttp.FormData()
    multipart.add_field("chat_id", str(anna.id))
    multipart.add_field("text", "from multipart")
    multipart.add_field(
        "reply_markup", '{"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}'
    )
    multipart.add_field("extra", b"x", filename="x.bin")
    sent = (await api("sendMessage", data=multipart)).result
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"


async def test_send_and_edit_through_aiogram(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna", language_code="ru")
    await anna.send("/start")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Done", callback_data="task:1:done")]]
    )
    sent = await bot.send_message(
        anna.id, "<b>Task</b> #1", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "Task #1"
    assert sent.entities is not None
    assert sent.entities[0].type == "bold"
    assert sent.chat.id == anna.id
    assert sent.from_user is not None
    edited = await bot.edit_message_text(
        text="Task #1 — done", chat_id=anna.id, message_id=sent.message_id
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Task #1 — done"
    assert edited.edit_date is not None
    assert edited.reply_markup is None
    shown = await anna.last_bot_message()
    assert shown is not None
    assert shown.edited
    assert shown.text == "Task #1 — done"


async def test_message_errors_use_telegram_wording(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    assert (await api("sendMessage", chat_id=999, text="x")).description == (
        "Bad Request: chat not found"
    )
    assert (await api("sendMessage", chat_id=anna.id, text="  ")).description == (
        "Bad Request: message text is empty"
    )
    assert (await api("sendMessage", text="x")).description == "Bad Request: chat_id is empty"
    missing = await api("editMessageText", chat_id=anna.id, message_id=77, text="x")
    assert missing.description == "Bad Request: message to edit not found"
    sent = (await api("sendMessage", chat_id=anna.id, text="same")).result
    again = await api(
        "editMessageText", chat_id=anna.id, message_id=sent["message_id"], text="same"
    )
    assert again.status == 400
    assert again.description == NOT_MODIFIED
    user_message = await api("editMessageText", chat_id=anna.id, message_id=1, text="x")
    assert user_message.description == "Bad Request: message can't be edited"
    deleted = await api("deleteMessage", chat_id=anna.id, message_id=sent["message_id"])
    assert deleted.result is True
    twice = await api("deleteMessage", chat_id=anna.id, message_id=sent["message_id"])
    assert twice.description == "Bad Request: message to delete not found"


async def test_reply_markup_edit_and_not_modified(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
    )
    sent = await bot.send_message(anna.id, "pick", reply_markup=keyboard)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=anna.id, message_id=sent.message_id, reply_markup=keyboard
        )
    cleared = await bot.edit_message_reply_markup(chat_id=anna.id, message_id=sent.message_id)
    assert not isinstance(cleared, bool)
    assert cleared.reply_markup is None


async def test_replies_and_chat_actions(bot: Bot, client: EmulatorClient, api: RawApi) -> None:
    anna = await client.create_user("Anna")
    asked = await anna.send("question")
    answer = await bot.send_message(anna.id, "answer", reply_to_message_id=asked)
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    missing = await api(
        "sendMessage", chat_id=anna.id, text="x", reply_parameters={"message_id": 99}
    )
    assert missing.description == "Bad Request: message to be replied not found"
    assert await bot.send_chat_action(anna.id, "typing") is True
    wrong = await api("sendChatAction", chat_id=anna.id, action="dancing")
    assert wrong.description == "Bad Request: wrong parameter action in request"


async def test_commands_and_chat_info(bot: Bot, client: EmulatorClient) -> None:
    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="new", description="New task"),
    ]
    assert await bot.set_my_commands(commands)
    listed = await bot.get_my_commands()
    assert [(c.command, c.description) for c in listed] == [("start", "Start"), ("new", "New task")]
    assert await bot.get_my_commands(language_code="ru") == []
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    anna = await client.create_user("Anna", username="anna_k")
    await anna.send("hi")
    chat = await bot.get_chat(anna.id)
    assert chat.type == "private"
    assert chat.username == "anna_k"
    member = await bot.get_chat_member(anna.id, anna.id)
    assert member.status == "member"


async def test_calls_are_recorded(server: EmulatorServer, api: RawApi) -> None:
    await api("getMe")
    await api("sendMessage", chat_id=5, text="x")
    methods = [(c.method, c.chat_id, c.ok, c.error_code) for c in server.calls]
    assert methods == [("getMe", None, True, None), ("sendMessage", 5, False, 400)]


async def test_token_in_file_urls_is_checked(api: RawApi, server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{server.base_url}/file/bot{TOKEN}/documents/none.txt"
        async with session.get(url) as response:
            assert response.status == 404


async def test_chat_page_is_served(server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url + "/") as response:
            assert response.status == 200
            assert response.content_type == "text/html"
        async with session.get(server.base_url + "/static/index.html") as response:
            assert response.status == 200
