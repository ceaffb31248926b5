"""Serving an ASGI app with uvicorn on a free loopback port, for tests that speak real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from fastapi import FastAPI

from teamtasks.web.server import Server


@asynccontextmanager
async def serve(app: FastAPI, port: int = 0) -> AsyncIterator[str]:
    """Yield the base URL while uvicorn serves `app` (its lifespan included)."""
    # As `teamtasks web` runs it: the app, not uvicorn, decides whom to believe about XFF.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", proxy_headers=False
    )
    server = Server(config)
    # uvicorn would otherwise take over SIGINT/SIGTERM of the test process.
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({listening, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if not listening.done():
        listening.cancel()
        await task
        raise RuntimeError("uvicorn stopped before it listened")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def free_port() -> int:
    """A port nobody listens on right now (for settings that must name it before start-up)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _no_signals() -> Iterator[None]:
    yield
