"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tgemulator.notify import Notifier

TOKEN = "123456:ABCdefGhIJKlmnOPQrstUVwxyz0123456789"
BOT_USERNAME = "teamtasks_bot"


class FakeClock:
    """A monotonic clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class WatchedNotifier(Notifier):
    """A Notifier that tells a test when a long poll has started waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self._waits: asyncio.Queue[None] = asyncio.Queue()

    async def wait_for(self, predicate: Callable[[], bool], seconds: float) -> bool:
        if not predicate():
            self._waits.put_nowait(None)
        return await super().wait_for(predicate, seconds)

    async def waiting(self) -> None:
        """Return once the next long poll is waiting (the polls are started by the test)."""
        await asyncio.wait_for(self._waits.get(), 5)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def result(self) -> Any:
        assert self.body["ok"], self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        return str(self.body["description"])


class RawApi:
    """Bot API calls over plain HTTP, for checking the wire format itself."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def __call__(
        self,
        method: str,
        *,
        token: str = TOKEN,
        http_method: str = "POST",
        data: Any = None,
        **params: Any,
    ) -> Reply:
        url = f"{self.base_url}/bot{token}/{method}"
        if http_method == "GET":
            request = self.session.get(url, params={k: str(v) for k, v in params.items()})
        elif data is not None:
            request = self.session.post(url, data=data)
        else:
            request = self.session.post(url, json=params)
        async with request as response:
            return Reply(response.status, await response.json())

    async def updates(self, **params: Any) -> list[dict[str, Any]]:
        reply = await self("getUpdates", **params)
        updates: list[dict[str, Any]] = reply.result
        return updates

    async def confirm_all(self) -> list[dict[str, Any]]:
        """Read and confirm every pending update."""
        updates = await self.updates()
        if updates:
            await self.updates(offset=updates[-1]["update_id"] + 1)
        return updates
