"""Groups: the bot joining, privacy mode, entities, members, upgrades and removal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramMigrateToChat

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Group, Person

from .support import BOT_USERNAME, RawApi, WatchedNotifier


async def _team(client: EmulatorClient) -> tuple[Person, Person, Group]:
    anna = await client.create_user("Anna", username="anna_k")
    boris = await client.create_user("Boris")
    return anna, boris, await client.create_group("Team", [anna, boris])


def _texts(updates: list[dict[str, Any]]) -> list[str]:
    return [u["message"]["text"] for u in updates if "text" in u.get("message", {})]


async def test_creating_a_group_adds_the_bot(api: RawApi, client: EmulatorClient) -> None:
    anna, _, group = await _team(client)
    assert group.id < 0
    updates = await api.confirm_all()
    joined = updates[0]["my_chat_member"]
    assert joined["chat"] == {"id": group.id, "type": "group", "title": "Team"}
    assert joined["from"]["id"] == anna.id
    assert joined["old_chat_member"]["status"] == "left"
    assert joined["new_chat_member"]["status"] == "member"
    assert joined["new_chat_member"]["user"]["username"] == BOT_USERNAME
    assert updates[1]["message"]["group_chat_created"] is True


async def test_privacy_mode_lets_through_only_what_is_meant_for_the_bot(
    api: RawApi, client: EmulatorClient
) -> None:
    anna, boris, group = await _team(client)
    await api.confirm_all()
    await group.send(anna, "just chatting")
    await group.send(anna, "/tasks")
    await group.send(anna, f"/tasks@{BOT_USERNAME}")
    await group.send(anna, "/tasks@other_bot")
    await group.send(boris, f"hey @{BOT_USERNAME} help")
    await group.send(boris, "hey @anna_k")
    assert _texts(await api.confirm_all()) == [
        "/tasks",
        f"/tasks@{BOT_USERNAME}",
        f"hey @{BOT_USERNAME} help",
    ]
    bot_message = (await api("sendMessage", chat_id=group.id, text="Which task?")).result
    await group.send(boris, "the second", reply_to=bot_message["message_id"])
    first_user_message = 1
    await group.send(boris, "not to the bot", reply_to=first_user_message)
    updates = await api.confirm_all()
    assert _texts(updates) == ["the second"]
    assert updates[0]["message"]["reply_to_message"]["text"] == "Which task?"


async def test_entities_in_group_messages(api: RawApi, client: EmulatorClient) -> None:
    anna, _, group = await _team(client)
    await api.confirm_all()
    await group.send(anna, f"/assign@{BOT_USERNAME} @anna_k fix 🐛 @{BOT_USERNAME}")
    message = (await api.confirm_all())[0]["message"]
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 21},
        {"type": "mention", "offset": 22, "length": 7},
        {"type": "mention", "offset": 37, "length": 14},
    ]


async def test_without_privacy_mode_the_bot_sees_everything() -> None:
    server = EmulatorServer("654321:XYZ", "open_bot", privacy_mode=False)
    await server.start()
    try:
        async with EmulatorClient(server.base_url) as other:
            anna = await other.create_user("Anna")
            group = await other.create_group("Team", [anna])
            await group.send(anna, "just chatting")
            pending = server.emulator.updates.pending
            assert pending[-1]["message"]["text"] == "just chatting"
            me = await other.request("GET", "/bot654321:XYZ/getMe")
            assert me["result"]["can_read_all_group_messages"] is True
    finally:
        await server.stop()


async def test_new_members_and_chat_member_info(
    bot: Bot, api: RawApi, client: EmulatorClient
) -> None:
    anna, _boris, group = await _team(client)
    vera = await client.create_user("Vera")
    await api.confirm_all()
    await group.add_member(vera)
    updates = await api.confirm_all()
    assert updates[0]["message"]["new_chat_members"][0]["id"] == vera.id
    assert (await bot.get_chat_member(group.id, anna.id)).status == "creator"
    assert (await bot.get_chat_member(group.id, vera.id)).status == "member"
    outsider = await client.create_user("Oleg")
    assert (await bot.get_chat_member(group.id, outsider.id)).status == "left"
    chat = await bot.get_chat(group.id)
    assert (chat.type, chat.title) == ("group", "Team")


async def test_migration_to_a_supergroup(bot: Bot, api: RawApi, client: EmulatorClient) -> None:
    anna, _, group = await _team(client)
    await api.confirm_all()
    old_id = await group.migrate()
    assert str(group.id).startswith("-100")
    updates = await api.confirm_all()
    assert updates[0]["message"]["migrate_to_chat_id"] == group.id
    assert updates[0]["message"]["chat"]["id"] == old_id
    assert updates[1]["message"]["migrate_from_chat_id"] == old_id
    assert updates[1]["message"]["chat"]["type"] == "supergroup"
    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(old_id, "hello")
    assert caught.value.migrate_to_chat_id == group.id
    sent = await bot.send_message(group.id, "hello")
    assert sent.message_id == 2
    await group.send(anna, "/tasks")
    assert _texts(await api.confirm_all()) == ["/tasks"]


async def test_removed_bot_gets_kicked_and_cannot_write(
    bot: Bot, api: RawApi, client: EmulatorClient
) -> None:
    anna, boris, group = await _team(client)
    await api.confirm_all()
    await group.remove_bot(by=boris)
    kicked = (await api.confirm_all())[0]["my_chat_member"]
    assert kicked["from"]["id"] == boris.id
    assert kicked["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "hello?")
    await group.send(anna, "/tasks")
    assert await api.confirm_all() == []


async def test_leaving_a_group(bot: Bot, api: RawApi, client: EmulatorClient) -> None:
    _, _, group = await _team(client)
    await api.confirm_all()
    assert await bot.leave_chat(group.id)
    left = (await api.confirm_all())[0]["my_chat_member"]
    assert left["new_chat_member"]["status"] == "left"
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the group chat"):
        await bot.send_message(group.id, "hello?")


async def test_group_button_press(bot: Bot, api: RawApi, client: EmulatorClient) -> None:
    _, boris, group = await _team(client)
    await api(
        "sendMessage",
        chat_id=group.id,
        text="Take it?",
        reply_markup={"inline_keyboard": [[{"text": "Mine", "callback_data": "take:7"}]]},
    )
    await api.confirm_all()
    task = asyncio.create_task(group.press(boris, "Mine"))
    updates = await api.updates(timeout=5)
    query = updates[-1]["callback_query"]
    assert query["from"]["id"] == boris.id
    assert query["message"]["chat"]["id"] == group.id
    await api("answerCallbackQuery", callback_query_id=query["id"], text="Yours")
    answer = await task
    assert answer is not None
    assert answer.text == "Yours"


async def _changes(
    client: EmulatorClient, chat_waits: WatchedNotifier, group: Group, change: Awaitable[object]
) -> dict[str, Any]:
    """What a waiting ``since_seq`` long poll returns when ``change`` happens."""
    seen = (await client.chat(group.id))["seq"]
    poll = asyncio.create_task(client.messages(group.id, since_seq=seen, wait=30))
    await chat_waits.waiting()
    await change
    return await asyncio.wait_for(poll, 5)


async def test_since_seq_long_poll_wakes_for_any_change_in_the_group(
    bot: Bot, client: EmulatorClient, chat_waits: WatchedNotifier
) -> None:
    _, boris, group = await _team(client)
    vera = await client.create_user("Vera")
    task = await bot.send_message(group.id, "Task 1: open")
    changes = await _changes(client, chat_waits, group, group.send(boris, "not for the bot"))
    assert [(m["user_id"], m["text"]) for m in changes["messages"]] == [
        (boris.id, "not for the bot")
    ]
    edit = bot.edit_message_text("Task 1: done", chat_id=group.id, message_id=task.message_id)
    changes = await _changes(client, chat_waits, group, edit)
    assert [(m["text"], m["edited"]) for m in changes["messages"]] == [("Task 1: done", True)]
    delete = bot.delete_message(group.id, task.message_id)
    changes = await _changes(client, chat_waits, group, delete)
    assert (changes["messages"], changes["deleted"]) == ([], [task.message_id])
    joined = await _changes(client, chat_waits, group, group.add_member(vera))
    assert joined["messages"][0]["service"]["new_chat_members"][0]["id"] == vera.id
