"""Real S3 protocol servers over HTTP on loopback ports, for the storage and file-service tests.

- moto's server mode (in a thread of the test process): refuses anonymous reads of a private
  bucket, does multipart, put, get, delete and list, keeps SSE headers; it does NOT check
  presigned-URL signatures or expiry, so no link test runs on it.
- s3rver 3.7.1 (a Node.js process of its own, `make s3rver` installs it): checks SigV4
  presigned URLs (403 after expiry, 403 when tampered) and honours ResponseContentDisposition,
  but serves anonymous reads, so no privacy test runs on it. Being another process, it also
  lets a test kill the store mid-upload and measure the test process's memory alone.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from moto.server import ThreadedMotoServer

from teamtasks.config import Settings
from teamtasks.storage.s3 import SINGLE_PUT_MAX, S3Storage, s3_client
from tests.support.web import free_port

S3RVER = Path(__file__).resolve().parent.parent / "s3rver" / "node_modules" / ".bin" / "s3rver"
S3RVER_KEY = "S3RVER"
"""s3rver's one account: access key id and secret are both this."""
_LISTENING = re.compile(rb"listening on [^:]+:(\d+)")


@dataclass(frozen=True)
class S3Server:
    """Where an S3 server listens and the keys it takes."""

    endpoint: str
    access_key: str
    secret_key: str

    def settings(self, bucket: str, **overrides: object) -> Settings:
        """Settings for the S3 adapter against this server and `bucket`."""
        values: dict[str, object] = {
            "storage_url": f"s3://{bucket}",
            "s3_endpoint_url": self.endpoint,
            "s3_access_key_id": self.access_key,
            "s3_secret_access_key": self.secret_key,
            "s3_create_bucket": True,
            **overrides,
        }
        return Settings(**values)  # type: ignore[arg-type]


def new_bucket() -> str:
    return f"teamtasks-{uuid.uuid4().hex[:12]}"


@contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port (its data lives in this process)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}", "moto-key", "moto-secret")
    finally:
        server.stop()


@dataclass
class S3rverProcess:
    """A running s3rver: its endpoint and process (a test may kill it)."""

    server: S3Server
    process: asyncio.subprocess.Process
    directory: Path
    port: int
    drain: asyncio.Task[None]


async def start_s3rver(directory: Path, port: int = 0) -> S3rverProcess:
    """s3rver on a loopback port, keeping its objects in `directory`."""
    node = shutil.which("node")
    if node is None or not S3RVER.exists():
        raise RuntimeError("s3rver is not installed: run `make s3rver` (needs Node.js and npm)")
    process = await asyncio.create_subprocess_exec(
        node,
        str(S3RVER),
        "--directory",
        str(directory),
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
        "--silent",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            while (line := await process.stdout.readline()) and not _LISTENING.search(line):
                pass
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("s3rver did not start within 20 s") from None
    found = _LISTENING.search(line)
    if found is None:
        await process.wait()
        raise RuntimeError(f"s3rver exited with {process.returncode} before it listened")
    port = int(found[1])
    # Keep reading what it prints, so a full pipe never blocks it.
    drain = asyncio.create_task(_drain(process.stdout))
    server = S3Server(f"http://127.0.0.1:{port}", S3RVER_KEY, S3RVER_KEY)
    return S3rverProcess(server, process, directory, port, drain)


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def stop_s3rver(running: S3rverProcess) -> None:
    if running.process.returncode is None:
        running.process.terminate()
    await running.process.wait()
    await running.drain


@asynccontextmanager
async def s3rver(directory: Path) -> AsyncIterator[S3rverProcess]:
    running = await start_s3rver(directory)
    try:
        yield running
    finally:
        await stop_s3rver(running)


@asynccontextmanager
async def s3_storage(
    server: S3Server,
    *,
    attempts: int = 3,
    single_put_max: int = SINGLE_PUT_MAX,
    **overrides: object,
) -> AsyncIterator[S3Storage]:
    """The S3 adapter on a new private bucket of `server` (created as at start-up).

    `single_put_max=0` sends every object above PART_SIZE as a multipart upload.
    """
    settings = server.settings(new_bucket(), **overrides)
    assert settings.s3_bucket is not None
    async with s3_client(settings, attempts=attempts) as client:
        storage = S3Storage(
            client=client,
            bucket=settings.s3_bucket,
            sse=settings.s3_sse,
            single_put_max=single_put_max,
        )
        await storage.prepare(create=True, region=settings.s3_region)
        yield storage


Answer = Callable[[web.Request, bytes], web.Response | None]
"""A proxy's own answer to a request (its body read), or None to pass it on."""


def s3_error(status: int, code: str, message: str) -> web.Response:
    """An error as S3 answers it."""
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return web.Response(status=status, text=body, content_type="application/xml")


@asynccontextmanager
async def s3_proxy(server: S3Server, answer: Answer) -> AsyncIterator[S3Server]:
    """`server` behind an HTTP proxy that reads each request whole, lets `answer` answer it
    instead, or passes it on; yields the proxy as a server."""

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        own = answer(request, body)
        if own is not None:
            return own
        headers = {name: value for name, value in request.headers.items() if name != "Host"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, f"{server.endpoint}{request.rel_url}", headers=headers, data=body
            ) as passed,
        ):
            return web.Response(
                status=passed.status,
                body=await passed.read(),
                headers={
                    name: value
                    for name, value in passed.headers.items()
                    if name.lower() not in ("content-length", "transfer-encoding", "connection")
                },
            )

    app = web.Application(client_max_size=SINGLE_PUT_MAX)
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}", server.access_key, server.secret_key)
    finally:
        await runner.cleanup()
