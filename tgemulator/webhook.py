"""Webhook mode: POST each update to the bot, in order, retrying until it answers 2xx.

As Telegram does, the response to a delivery may itself be a method call (JSON or a
multipart form with a ``method`` field); it is executed and its result discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .params import Params, Upload
from .updates import UpdateQueue

Executor = Callable[[str, Params], Awaitable[None]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def _response_method(response: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    values: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    if response.content_type == "application/json":
        body = await response.json()
        if isinstance(body, dict):
            values.update(body)
    elif response.content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader.from_response(response)
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            data = await part.read()
            if part.filename:
                files[part.name] = Upload(part.filename, bytes(data), None)
            else:
                values[part.name] = bytes(data).decode("utf-8")
    method = values.pop("method", None)
    if not isinstance(method, str) or not method:
        return None
    return method, Params(values, files)


class WebhookDelivery:
    def __init__(
        self,
        updates: UpdateQueue,
        *,
        retry_delay: float,
        max_retry_delay: float,
        timeout: float,
    ) -> None:
        self.updates = updates
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout
        self.executor: Executor | None = None
        self.url: str | None = None
        self.secret: str | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def configure(self, url: str, secret: str | None, max_connections: int) -> None:
        await self._stop_task()
        self.url, self.secret, self.max_connections = url, secret, max_connections
        self.updates.webhook_active = True
        self.updates.wake_pollers()
        self._task = asyncio.create_task(self._run(url, secret))

    async def remove(self) -> None:
        await self._stop_task()
        self.url = self.secret = None
        self.last_error_date = self.last_error_message = None
        self.updates.webhook_active = False

    async def close(self) -> None:
        await self._stop_task()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _fail(self, message: str) -> None:
        self.last_error_date = int(time.time())
        self.last_error_message = message

    async def _run(self, url: str, secret: str | None) -> None:
        failures = 0
        while True:
            await self.updates.arrivals.wait_for(lambda: bool(self.updates.pending), 3600)
            if not self.updates.pending:
                continue
            update = self.updates.pending[0]
            if await self._deliver(url, secret, update):
                failures = 0
                if self.updates.pending and self.updates.pending[0] is update:
                    self.updates.pending.pop(0)
                continue
            failures += 1
            delay = min(self.retry_delay * 2 ** (failures - 1), self.max_retry_delay)
            await asyncio.sleep(delay)

    async def _deliver(self, url: str, secret: str | None, update: dict[str, Any]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {SECRET_HEADER: secret} if secret else {}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._session.post(
                url, json=update, headers=headers, timeout=timeout
            ) as response:
                if not 200 <= response.status < 300:
                    self._fail(
                        f"Wrong response from the webhook: {response.status} {response.reason}"
                    )
                    return False
                try:
                    call = await _response_method(response)
                except (ValueError, aiohttp.ClientError):
                    call = None
        except TimeoutError:
            self._fail("Read timeout expired")
            return False
        except aiohttp.ClientConnectorError:
            self._fail("Connection refused")
            return False
        except aiohttp.ClientError as error:
            self._fail(f"Connection error: {error}")
            return False
        if call is not None and self.executor is not None:
            await self.executor(*call)
        return True
