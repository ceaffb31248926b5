"""`/healthz` and `/metrics` on their own port, for the processes that serve no other HTTP."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


class ProbeServer:
    """A tiny aiohttp server; `port=0` picks a free port (see `.port` after start)."""

    def __init__(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", _healthz)
        app.router.add_get("/metrics", _metrics)
        self._runner = web.AppRunner(app, access_log=None)
        self._host = host
        self._port = port
        self.port = port

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()
