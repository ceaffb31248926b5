"""Webhook mode: delivery with the secret header, in order, retried until accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient

from .support import RawApi


@dataclass
class Receiver:
    """A tiny bot-side web app that fails the first ``failures`` deliveries."""

    failures: int = 0
    answer: dict[str, Any] | None = None
    received: list[tuple[str | None, dict[str, Any], int]] = field(default_factory=list)
    arrivals: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if self.failures > 0:
            self.failures -= 1
            self.received.append((secret, update, 500))
            return web.Response(status=500)
        self.received.append((secret, update, 200))
        await self.arrivals.put(update)
        if self.answer is not None:
            return web.json_response(self.answer)
        return web.json_response({})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a for a in runner.addresses if isinstance(a, tuple))[1]
    target.url = f"http://127.0.0.1:{port}/hook"
    yield target
    await runner.cleanup()


async def test_delivers_in_order_with_the_secret(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    set_reply = await api("setWebhook", url=receiver.url, secret_token="s3cr3t_-X")
    assert set_reply.body == {"ok": True, "result": True, "description": "Webhook was set"}
    anna = await client.create_user("Anna")
    for text in ("one", "two"):
        await anna.send(text)
    first = await asyncio.wait_for(receiver.arrivals.get(), 5)
    second = await asyncio.wait_for(receiver.arrivals.get(), 5)
    assert [first["message"]["text"], second["message"]["text"]] == ["one", "two"]
    assert all(secret == "s3cr3t_-X" for secret, _, _ in receiver.received)


async def test_retries_the_same_update_until_it_is_accepted(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.failures = 3
    await api("setWebhook", url=receiver.url)
    anna = await client.create_user("Anna")
    await anna.send("important")
    update = await asyncio.wait_for(receiver.arrivals.get(), 10)
    assert update["message"]["text"] == "important"
    assert [status for _, _, status in receiver.received] == [500, 500, 500, 200]
    assert len({u["update_id"] for _, u, _ in receiver.received}) == 1
    info = (await api("getWebhookInfo")).result
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["last_error_date"], int)


async def test_unreachable_webhook_keeps_updates_pending(
    api: RawApi, client: EmulatorClient
) -> None:
    await api("setWebhook", url="http://127.0.0.1:9/nowhere")
    anna = await client.create_user("Anna")
    await anna.send("hello")
    await anna.send("again")
    info = (await api("getWebhookInfo")).result
    assert info["pending_update_count"] == 2
    dropped = await api("deleteWebhook", drop_pending_updates=True)
    assert dropped.body["description"] == "Webhook was deleted"
    assert (await api("getWebhookInfo")).result == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }


async def test_method_in_the_webhook_response_is_executed(
    api: RawApi, client: EmulatorClient, receiver: Receiver, server: EmulatorServer
) -> None:
    anna = await client.create_user("Anna")
    receiver.answer = {"method": "sendMessage", "chat_id": anna.id, "text": "answered inline"}
    await api("setWebhook", url=receiver.url)
    await anna.send("/start")
    reply = await anna.wait_reply()
    assert reply.text == "answered inline"
    assert server.calls[-1].method == "sendMessage"


async def test_secret_token_is_validated(api: RawApi) -> None:
    bad = await api("setWebhook", url="http://127.0.0.1:9/h", secret_token="no spaces")
    assert bad.description == "Bad Request: secret token contains unallowed characters"
    assert (await api("setWebhook", url="ftp://example.org")).status == 400
