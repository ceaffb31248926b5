"""Serving the app with uvicorn, logging through our JSON logging."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from teamtasks.bot.runtime import settle
from teamtasks.config import Settings
from teamtasks.db import create_engine, probe
from teamtasks.web.app import create_app, webhook_secret


class Server(uvicorn.Server):
    """uvicorn's server with an event set once it listens, so callers await it, not poll it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


def uvicorn_server(settings: Settings, *, host: str, port: int) -> Server:
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
    )
    return Server(config)


async def run_web(settings: Settings) -> None:
    """`teamtasks web`: until SIGINT/SIGTERM, which uvicorn handles with a graceful shutdown.

    Configuration and the database are checked first, so that a bad setting stops start-up
    with one clear line instead of uvicorn's "Application startup failed".
    """
    webhook_secret(settings)
    engine = create_engine(settings)
    try:
        await probe(engine)
    finally:
        await engine.dispose()
    server = uvicorn_server(settings, host=settings.web_host, port=settings.web_port)
    settle()  # the app and its modules are loaded; the lifespan adds only the dispatcher
    await server.serve()
    if not server.started:
        raise RuntimeError("the web service did not start; see the log lines above")
