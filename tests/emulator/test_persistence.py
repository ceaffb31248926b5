"""With state_path, people, chats, messages and files survive a restart."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tgemulator import EmulatorServer, FloodLimits
from tgemulator.client import EmulatorClient

from .support import BOT_USERNAME, TOKEN


def _server(state_path: Path) -> EmulatorServer:
    return EmulatorServer(
        TOKEN, BOT_USERNAME, flood=FloodLimits(enabled=False), state_path=state_path
    )


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    state_path = tmp_path / "emulator.json"
    first = _server(state_path)
    await first.start()
    async with EmulatorClient(first.base_url) as client:
        anna = await client.create_user("Anna", language_code="ru")
        boris = await client.create_user("Boris")
        group = await client.create_group("Team", [anna, boris])
        await anna.send("/start")
        await anna.send_file("notes.txt", b"kept bytes")
        sent = await client.request(
            "POST", f"/bot{TOKEN}/sendMessage", json={"chat_id": anna.id, "text": "Hello"}
        )
    await first.stop()
    assert state_path.exists()

    second = _server(state_path)
    await second.start()
    try:
        async with EmulatorClient(second.base_url) as client:
            users = (await client.request("GET", "/emulator/api/users"))["users"]
            assert [(u["first_name"], u["started"]) for u in users] == [
                ("Anna", True),
                ("Boris", False),
            ]
            messages = (await client.messages(anna.id))["messages"]
            assert [m["text"] for m in messages] == ["/start", None, "Hello"]
            assert messages[2]["message_id"] == sent["result"]["message_id"]
            document = messages[1]["document"]
            file = await client.request(
                "GET", f"/bot{TOKEN}/getFile", query={"file_id": document["file_id"]}
            )
            assert file["result"]["file_size"] == len(b"kept bytes")
            session = aiohttp.ClientSession()
            async with session, session.get(second.base_url + document["url"]) as response:
                assert await response.read() == b"kept bytes"
            assert (await client.chat(group.id))["member_ids"] == [anna.id, boris.id]
            again = await client.request(
                "POST", f"/bot{TOKEN}/sendMessage", json={"chat_id": anna.id, "text": "Back"}
            )
            assert again["result"]["message_id"] == 4
            vera = await client.create_user("Vera")
            assert vera.id == boris.id + 1
    finally:
        await second.stop()
