"""The bot with a file store the test controls, for tests/e2e/work/test_files*.py.

- `local_files`: the local store under tmp_path, its links served by a real `teamtasks web`
  over HTTP, dated by a clock the test moves (so a link can be issued already expired).
- `s3_files`: the S3 adapter on moto's server, reached through a TCP proxy the test can cut
  (mid-upload, after so many bytes) or stop: the store going away, as it does in production.
The bot polls the local Bot API server as `teamtasks bot` does, with that store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.models.base import utcnow
from teamtasks.storage import ObjectStorage
from teamtasks.storage.local import LocalStorage
from teamtasks.storage.s3 import S3Storage, s3_client
from teamtasks.web.app import create_app
from tests.e2e.conftest import RunningBot, bot_settings, start_polling, stop_polling
from tests.storage.servers import S3Server, new_bucket
from tests.support.web import free_port, serve
from tgemulator import EmulatorServer

LINK_SECRET = "e2e-file-link-secret-0123456789abcdef"


@dataclass
class Clock:
    """Now, moved by `offset`: what the local store signs its links with."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class FilesBot:
    """The running bot, its store, and (local store only) the web that serves links."""

    running: RunningBot
    store: ObjectStorage
    clock: Clock = field(default_factory=Clock)
    proxy: CuttableProxy | None = None
    bucket: S3Storage | None = None
    """The bucket reached directly, past the proxy (S3 only): what the store really holds."""

    async def keys(self) -> list[str]:
        """Every object under company prefixes, as the store itself lists them."""
        store = self.bucket or self.store
        return [info.key async for info in store.scan(prefix="company_")]


class CuttableProxy:
    """A TCP proxy to an S3 server that a test stops, at once or mid-request.

    `cut_after(n)`: once n more bytes went up to the server, every connection is dropped and
    no new one is accepted: the store dies in the middle of an upload.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._budget: int | None = None
        self.cut = asyncio.Event()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def cut_after(self, size: int) -> None:
        self._budget = size

    def stop(self) -> None:
        """Stop listening and drop every connection."""
        self.cut.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def close(self) -> None:
        self.stop()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut.is_set():
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, counted=True),
                self._pump(up_reader, writer, counted=False),
            )
        finally:
            for one in (writer, up_writer):
                self._writers.discard(one)
                one.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, counted: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(16 * 1024):
                if counted and self._budget is not None:
                    self._budget -= len(data)
                    if self._budget <= 0:
                        self.stop()
                        return
                writer.write(data)
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def _polling_with(
    telegram: EmulatorServer,
    settings: Settings,
    factory: SessionFactory,
    store: ObjectStorage,
) -> AsyncIterator[RunningBot]:
    running, task = await start_polling(telegram, settings, factory, files_store=store)
    try:
        yield running
    finally:
        await stop_polling(running, task)


@pytest.fixture
async def local_files(
    telegram: EmulatorServer, database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[FilesBot]:
    """The bot with the local store; `teamtasks web` serves its links over HTTP."""
    port = free_port()
    settings = bot_settings(
        telegram,
        database_url,
        data_dir=tmp_path,
        file_link_secret=LINK_SECRET,
        public_web_url=f"http://127.0.0.1:{port}",
    )
    web_settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        file_link_secret=LINK_SECRET,
        public_web_url=settings.web_url,
    )
    clock = Clock()
    store = LocalStorage(
        root=tmp_path / "files",
        secret=LINK_SECRET.encode(),
        base_url=settings.web_url,
        clock=clock,
    )
    async with (
        serve(create_app(web_settings), port=port),
        _polling_with(telegram, settings, committing_factory, store) as running,
    ):
        yield FilesBot(running, store, clock)


@pytest.fixture
async def s3_files(
    telegram: EmulatorServer,
    database_url: str,
    committing_factory: SessionFactory,
    tmp_path: Path,
    moto: S3Server,
) -> AsyncIterator[FilesBot]:
    """The bot with the S3 adapter on a new bucket of moto, reached through a proxy."""
    host, port = moto.endpoint.removeprefix("http://").split(":")
    proxy = CuttableProxy(host, int(port))
    endpoint = await proxy.start()
    bucket = new_bucket()
    through_proxy = S3Server(endpoint, moto.access_key, moto.secret_key).settings(bucket)
    direct = moto.settings(bucket)
    settings = bot_settings(telegram, database_url, data_dir=tmp_path)
    async with (
        s3_client(through_proxy, attempts=2) as client,
        s3_client(direct) as direct_client,
    ):
        store = S3Storage(client=client, bucket=bucket)
        await store.prepare(create=True, region=through_proxy.s3_region)
        inspector = S3Storage(client=direct_client, bucket=bucket)
        async with _polling_with(telegram, settings, committing_factory, store) as running:
            yield FilesBot(running, store, proxy=proxy, bucket=inspector)
    await proxy.close()
