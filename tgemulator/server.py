"""``EmulatorServer``: the emulated Bot API, user API and chat page on one aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import web

from . import bot_api, chat_view, group_api, user_api
from .core import Emulator, EmulatorConfig
from .errors import ApiError, GatewayError, server_error
from .flood import FloodLimits
from .methods_files import MAX_UPLOAD_BYTES
from .models import RecordedCall
from .params import Params
from .persistence import dump_state, load_state, write_state

STATIC_DIR = Path(__file__).with_name("static")
AUTOSAVE_INTERVAL = 1.0
_MULTIPART_OVERHEAD = 1024 * 1024


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


class EmulatorServer:
    """A local server speaking the Telegram Bot API wire format.

    Point aiogram at it with ``TelegramAPIServer.from_base(server.base_url)``; drive the
    people on the other side through ``tgemulator.client`` or the JSON user API.
    """

    def __init__(
        self,
        bot_token: str,
        bot_username: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        flood: FloodLimits | None = None,
        callback_answer_timeout: float = 10.0,
        pre_checkout_timeout: float = 10.0,
        state_path: str | Path | None = None,
        privacy_mode: bool = True,
        bot_first_name: str | None = None,
        webhook_retry_delay: float = 0.05,
        webhook_max_retry_delay: float = 2.0,
    ) -> None:
        config = EmulatorConfig(
            bot_token=bot_token,
            bot_username=bot_username,
            bot_first_name=bot_first_name or bot_username.removesuffix("_bot").title(),
            privacy_mode=privacy_mode,
            callback_answer_timeout=callback_answer_timeout,
            pre_checkout_timeout=pre_checkout_timeout,
            webhook_retry_delay=webhook_retry_delay,
            webhook_max_retry_delay=webhook_max_retry_delay,
        )
        self.emulator = Emulator(config, flood or FloodLimits())
        self.emulator.webhook.executor = self._execute
        self.host = host
        self.port = port
        self.state_path = Path(state_path) if state_path is not None else None
        self._runner: web.AppRunner | None = None
        self._autosave: asyncio.Task[None] | None = None
        self._saved_version = -1

    @property
    def flood(self) -> FloodLimits:
        return self.emulator.flood_limits

    def fail_next(
        self, method: str, error: ApiError | GatewayError | None = None, *, times: int = 1
    ) -> None:
        """Answer the next `times` calls of the Bot API method `method` with `error` (500
        Internal Server Error by default; a GatewayError answers a proxy's HTML page), as
        Telegram does when it fails on its side."""
        self.emulator.fail_next(method, error or server_error(), times=times)

    @property
    def calls(self) -> list[RecordedCall]:
        return self.emulator.calls

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the server is not started")
        return self.emulator.config.base_url

    async def _execute(self, method: str, params: Params) -> None:
        await bot_api.execute_quietly(self.emulator, method, params)

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + _MULTIPART_OVERHEAD)
        app[bot_api.EMULATOR_KEY] = self.emulator
        bot_api.add_routes(app)
        user_api.add_routes(app)
        group_api.add_routes(app)
        chat_view.add_routes(app)
        app.router.add_get("/", _index)
        app.router.add_static("/static/", STATIC_DIR)
        return app

    async def start(self) -> None:
        if self.state_path is not None:
            await asyncio.to_thread(load_state, self.emulator.store, self.state_path)
            self._saved_version = self.emulator.store.version
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = [s for s in self._runner.addresses if isinstance(s, tuple)]
        port = sockets[0][1] if sockets else self.port
        self.emulator.config.base_url = f"http://{self.host}:{port}"
        if self.state_path is not None:
            self._autosave = asyncio.create_task(self._autosave_loop())

    async def save(self) -> None:
        """Write the state file now (only when ``state_path`` is set)."""
        if self.state_path is None:
            return
        store = self.emulator.store
        version = store.version
        text = dump_state(store)
        await asyncio.to_thread(write_state, self.state_path, text, list(store.files.values()))
        self._saved_version = version

    async def _autosave_loop(self) -> None:
        while True:
            await asyncio.sleep(AUTOSAVE_INTERVAL)
            if self.emulator.store.version != self._saved_version:
                await self.save()

    async def stop(self) -> None:
        """Stop serving; pending long polls and queries are answered at once, not awaited."""
        if self._autosave is not None:
            self._autosave.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosave
            self._autosave = None
        self.emulator.close()
        await self.emulator.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.save()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
