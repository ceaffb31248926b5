"""getUpdates: confirmation by offset, long polling, conflicts, and a real aiogram poller."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher
from aiogram.filters import CommandStart
from aiogram.types import Message

from tgemulator.client import EmulatorClient

from .support import RawApi

TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def test_offset_confirms_earlier_updates(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    for text in ("one", "two", "three"):
        await anna.send(text)
    updates = await api.updates()
    assert [u["message"]["text"] for u in updates] == ["one", "two", "three"]
    ids = [u["update_id"] for u in updates]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert [u["message"]["text"] for u in await api.updates()] == ["one", "two", "three"]
    remaining = await api.updates(offset=ids[1])
    assert [u["message"]["text"] for u in remaining] == ["two", "three"]
    assert [u["update_id"] for u in await api.updates(limit=1)] == [ids[1]]
    assert await api.updates(offset=ids[2] + 1) == []


async def test_negative_offset_keeps_the_last_updates(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    for text in ("one", "two", "three"):
        await anna.send(text)
    assert [u["message"]["text"] for u in await api.updates(offset=-1)] == ["three"]
    assert [u["message"]["text"] for u in await api.updates()] == ["three"]


async def test_long_poll_returns_when_a_user_writes(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    poll = asyncio.create_task(api.updates(timeout=10))
    await anna.send("/start")
    updates = await asyncio.wait_for(poll, 5)
    message = updates[0]["message"]
    assert message["text"] == "/start"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["id"] == anna.id
    assert message["chat"] == {"id": anna.id, "type": "private", "first_name": "Anna"}


async def test_a_newer_poll_terminates_the_waiting_one(api: RawApi, client: EmulatorClient) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=10))
    await client.create_user("Anna")
    second = await api("getUpdates", timeout=0)
    assert second.status == 200
    terminated = await asyncio.wait_for(first, 5)
    assert terminated.status == 409
    assert terminated.description == TERMINATED


async def test_get_updates_while_webhook_is_set_conflicts(api: RawApi) -> None:
    assert (await api("setWebhook", url="http://127.0.0.1:9/hook")).result is True
    reply = await api("getUpdates")
    assert reply.status == 409
    assert reply.description == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    assert (await api("deleteWebhook")).result is True
    assert (await api("getUpdates")).status == 200


async def test_allowed_updates_filter_new_updates(api: RawApi, client: EmulatorClient) -> None:
    anna = await client.create_user("Anna")
    boris = await client.create_user("Boris")
    await api.updates(allowed_updates=["message"])
    group = await client.create_group("Team", [anna, boris])
    await anna.send("hello")
    kinds = [next(k for k in u if k != "update_id") for u in await api.confirm_all()]
    assert kinds == ["message", "message"]
    await api.updates(allowed_updates=["chat_member"])
    await group.add_member(await client.create_user("Vera"))
    kinds = [next(k for k in u if k != "update_id") for u in await api.confirm_all()]
    assert kinds == ["chat_member"]


async def test_aiogram_dispatcher_answers_start(bot: Bot, client: EmulatorClient) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def greet(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"Hello, {message.from_user.first_name}!")

    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_as_tasks=False, handle_signals=False, close_bot_session=False
        )
    )
    anna = await client.create_user("Anna", language_code="ru")
    await anna.send("/start")
    reply = await anna.wait_reply(timeout=10)
    assert reply.text == "Hello, Anna!"
    await anna.send("/start")
    assert (await anna.wait_reply(timeout=10)).text == "Hello, Anna!"
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, 10)
