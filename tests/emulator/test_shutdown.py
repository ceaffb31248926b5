"""Stopping the server answers the requests that are still waiting instead of awaiting them."""

from __future__ import annotations

import asyncio

import aiohttp

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient

from .support import BOT_USERNAME, TOKEN, RawApi, WatchedNotifier

KEYBOARD = {"inline_keyboard": [[{"text": "Take it", "callback_data": "take"}]]}


async def test_stop_ends_pending_long_polls_and_button_presses() -> None:
    server = EmulatorServer(TOKEN, BOT_USERNAME)
    await server.start()
    chat_waits = WatchedNotifier()
    server.emulator.store.changes = chat_waits
    try:
        async with aiohttp.ClientSession() as session, EmulatorClient(server.base_url) as client:
            api = RawApi(session, server.base_url)
            anna = await client.create_user("Anna")
            await anna.send("/start")
            sent = await api("sendMessage", chat_id=anna.id, text="Menu", reply_markup=KEYBOARD)
            await api.confirm_all()
            pressing = asyncio.create_task(anna.click(sent.result["message_id"], "take"))
            updates = await api.updates(timeout=5)
            assert updates[0]["callback_query"]["data"] == "take"
            seen = (await client.messages(anna.id))["seq"]
            chat_poll = asyncio.create_task(client.messages(anna.id, since_seq=seen, wait=30))
            await chat_waits.waiting()
            server.emulator.updates.arrivals = update_waits = WatchedNotifier()
            bot_poll = asyncio.create_task(
                api.updates(offset=updates[0]["update_id"] + 1, timeout=30)
            )
            await update_waits.waiting()

            loop = asyncio.get_running_loop()
            started = loop.time()
            await server.stop()
            assert loop.time() - started < 1.5

            assert await pressing is None
            assert (await chat_poll)["messages"] == []
            assert await bot_poll == []
    finally:
        await server.stop()
