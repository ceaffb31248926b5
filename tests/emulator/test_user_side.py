"""The person's side: buttons and callback answers, long polls, blocking, the bot's profile."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tgemulator.client import EmulatorClient, EmulatorError

from .support import BOT_USERNAME, TOKEN, RawApi, WatchedNotifier

KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Create task", "callback_data": "task:new"}],
        [{"text": "Docs", "url": "https://example.com"}],
    ]
}


async def test_callback_answer_round_trip(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    await api("sendMessage", chat_id=anna.id, text="Menu", reply_markup=KEYBOARD)
    await api.confirm_all()
    pressing = asyncio.create_task(anna.press("Create task"))
    query = (await api.updates(timeout=5))[-1]["callback_query"]
    assert query["data"] == "task:new"
    assert query["message"]["text"] == "Menu"
    assert query["from"]["id"] == anna.id
    assert query["chat_instance"]
    answered = await api(
        "answerCallbackQuery", callback_query_id=query["id"], text="Created", show_alert=True
    )
    assert answered.result is True
    answer = await pressing
    assert answer is not None
    assert (answer.text, answer.show_alert) == ("Created", True)
    again = await api("answerCallbackQuery", callback_query_id=query["id"])
    assert again.description == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_unanswered_callback_returns_no_answer(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    sent = (await api("sendMessage", chat_id=anna.id, text="Menu", reply_markup=KEYBOARD)).result
    assert await anna.click(sent["message_id"], "task:new") is None


async def test_data_not_on_the_keyboard_is_refused_unless_forged(
    api: RawApi, client: EmulatorClient
) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    sent = (await api("sendMessage", chat_id=anna.id, text="Menu", reply_markup=KEYBOARD)).result
    with pytest.raises(EmulatorError) as refused:
        await anna.click(sent["message_id"], "task:delete:all")
    assert refused.value.status == 400
    await api.confirm_all()
    forging = asyncio.create_task(anna.forged_callback(sent["message_id"], "task:delete:all"))
    query = (await api.updates(timeout=5))[-1]["callback_query"]
    assert query["data"] == "task:delete:all"
    await api("answerCallbackQuery", callback_query_id=query["id"], text="No")
    answer = await forging
    assert answer is not None
    assert answer.text == "No"
    with pytest.raises(LookupError):
        await anna.press("Nonexistent")


async def test_since_seq_shows_edits_and_deletions(
    bot: Bot, client: EmulatorClient, api: RawApi
) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    first = await bot.send_message(anna.id, "Task 1: open")
    await bot.send_message(anna.id, "Task 2: open")
    shown = await anna.wait_reply()
    later = await anna.wait_reply()
    editing = asyncio.create_task(anna.wait_edit(shown))
    await bot.edit_message_text("Task 1: done", chat_id=anna.id, message_id=first.message_id)
    edited = await editing
    assert edited.message_id == shown.message_id
    assert edited.text == "Task 1: done"
    assert edited.edited
    assert edited.seq > later.seq
    await bot.delete_message(anna.id, later.message_id)
    changes = await client.messages(anna.id, since_seq=edited.seq, wait=5)
    assert changes["deleted"] == [later.message_id]
    assert [m["message_id"] for m in (await client.messages(anna.id))["messages"]] == [1, 2]
    with pytest.raises(LookupError):
        await anna.wait_edit(later, timeout=1)


async def test_since_seq_long_poll_wakes_for_a_send_from_another_tab(
    client: EmulatorClient, chat_waits: WatchedNotifier
) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    seen = (await client.messages(anna.id))["seq"]
    poll = asyncio.create_task(client.messages(anna.id, since_seq=seen, wait=30))
    await chat_waits.waiting()
    sent = await anna.send("sent from another tab")
    changes = await asyncio.wait_for(poll, 5)
    assert [(m["message_id"], m["text"]) for m in changes["messages"]] == [
        (sent, "sent from another tab")
    ]
    assert changes["deleted"] == []


async def test_after_long_poll_still_waits_for_the_bot(
    bot: Bot, client: EmulatorClient, chat_waits: WatchedNotifier
) -> None:
    """``after=`` ignores the person's messages: it returns the user's and the bot's together."""
    anna = await client.create_user("Anna")
    first = await anna.send("/start")
    poll = asyncio.create_task(client.messages(anna.id, after=first, wait=30))
    await chat_waits.waiting()
    await anna.send("anyone there?")
    await bot.send_message(anna.id, "Hello!")
    replies = await asyncio.wait_for(poll, 5)
    assert [(m["from"], m["text"]) for m in replies["messages"]] == [
        ("user", "anyone there?"),
        ("bot", "Hello!"),
    ]
    assert (await anna.wait_reply()).text == "Hello!"


async def test_the_bot_as_people_see_it(bot: Bot, client: EmulatorClient) -> None:
    profile = {
        "id": int(TOKEN.split(":")[0]),
        "is_bot": True,
        "first_name": "Teamtasks",
        "username": BOT_USERNAME,
    }
    assert await client.request("GET", "/emulator/api/bot") == {**profile, "commands": []}
    await bot.set_my_commands([BotCommand(command="start", description="Start the bot")])
    await bot.set_my_commands(
        [BotCommand(command="tasks", description="Team tasks")],
        scope=BotCommandScopeAllGroupChats(),
    )
    await bot.set_my_commands(
        [BotCommand(command="start", description="Начать")], language_code="ru"
    )
    assert await client.request("GET", "/emulator/api/bot") == {
        **profile,
        "commands": [{"command": "start", "description": "Start the bot"}],
    }


async def test_wait_reply_times_out_without_a_bot_message(client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hello?")
    with pytest.raises(TimeoutError):
        await anna.wait_reply(timeout=0.2)


async def test_bot_cannot_start_a_conversation(bot: Bot, client: EmulatorClient) -> None:
    stranger = await client.create_user("Stranger")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(42, "hi")


async def test_blocked_user(bot: Bot, api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    await api.confirm_all()
    await anna.block()
    blocked = (await api.confirm_all())[0]["my_chat_member"]
    assert blocked["chat"]["type"] == "private"
    assert blocked["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "still there?")
    reply = await api("sendMessage", chat_id=anna.id, text="x")
    assert reply.body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    with pytest.raises(EmulatorError):
        await anna.send("hi")
    await anna.unblock()
    assert (await api.confirm_all())[0]["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert (await bot.send_message(anna.id, "welcome back")).text == "welcome back"


async def test_reply_keyboard_is_shown_and_hidden(bot: Bot, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    await anna.send("/start")
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="My tasks"), KeyboardButton(text="New task")]],
        one_time_keyboard=True,
    )
    await bot.send_message(anna.id, "Choose", reply_markup=keyboard)
    assert await anna.reply_keyboard() == [["My tasks", "New task"]]
    await anna.send("My tasks")
    assert await anna.reply_keyboard() is None
    persistent = keyboard.model_copy(update={"one_time_keyboard": False})
    await bot.send_message(anna.id, "Again", reply_markup=persistent)
    await anna.send("My tasks")
    assert await anna.reply_keyboard() == [["My tasks", "New task"]]
    await bot.send_message(anna.id, "Bye", reply_markup=ReplyKeyboardRemove())
    assert await anna.reply_keyboard() is None


async def test_users_and_chats_are_listed(client: EmulatorClient) -> None:
    anna = await client.create_user("Anna", username="anna_k", language_code="ru")
    listed = await client.request("GET", "/emulator/api/users")
    assert listed["users"] == [
        {
            "id": anna.id,
            "is_bot": False,
            "first_name": "Anna",
            "username": "anna_k",
            "language_code": "ru",
            "blocked": False,
            "started": False,
        }
    ]
    chat = await client.chat(anna.id)
    assert chat["chat"]["type"] == "private"
    assert chat["reply_keyboard"] is None
    with pytest.raises(EmulatorError) as missing:
        await client.chat(12345)
    assert missing.value.status == 404


async def test_a_person_mentions_someone_with_no_username_by_name(
    api: RawApi, client: EmulatorClient
) -> None:
    anna = await client.create_user("Anna")
    dasha = await client.create_user("Дарья")
    await anna.send("/new 🚀 Сверстать письмо Дарья @bobby", mentioning={"Дарья": dasha})

    message = (await api.updates(timeout=5))[-1]["message"]
    mention = [e for e in message["entities"] if e["type"] == "text_mention"]
    assert mention == [
        {"type": "text_mention", "offset": 25, "length": 5, "user": mention[0]["user"]}
    ]
    assert (mention[0]["user"]["id"], mention[0]["user"]["first_name"]) == (dasha.id, "Дарья")
    assert [e["type"] for e in message["entities"]] == ["bot_command", "text_mention", "mention"]

    path = f"/emulator/api/users/{anna.id}/messages"
    for bad in (
        {"offset": 20, "length": 50, "user_id": dasha.id},  # past the end
        {"offset": 6, "length": 1, "user_id": dasha.id},  # half of the 🚀 surrogate pair
        {"offset": 0, "length": 4, "user_id": 999},  # nobody
    ):
        with pytest.raises(EmulatorError) as refused:
            await client.request(
                "POST", path, json={"text": "/new 🚀 Дарья", "text_mentions": [bad]}
            )
        assert refused.value.status in (400, 404)
