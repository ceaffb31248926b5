"""Benchmark: uploading a file through the service path against a direct aiobotocore put.

    make bench            (or: .venv/bin/python -m bench.files [--runs N])

The service path is the bot's: `attach_file` in a unit of work wrapped in `staged_objects`
(checks, content check by magic bytes, sha256, one put that sends the chunks on as they come,
the quota and the File and audit rows, the commit), fed chunks of the size the bot reads a
Telegram download in (its CHUNK_SIZE), the file's size declared as Telegram declares it. The
baseline is one `put_object` of the same bytes with the same aiobotocore client. The store is
moto's S3 server in a process of its own, so this process's memory is the upload's alone;
PostgreSQL holds rows.

Prints MiB/s (median of N runs, the two paths taking turns) for 1, 10 and 20 MiB files, the
ratio service/direct (target >= 0.8), and the memory this process grows by while a 20 MiB file
goes through the service path (target < 32 MiB), by tracemalloc and by peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial

from bench.updates import drop_database, fresh_database
from teamtasks.bot.handlers.work.files import CHUNK_SIZE
from teamtasks.config import MIB, Settings
from teamtasks.db import SessionFactory, create_engine, create_session_factory, unit_of_work
from teamtasks.services import companies, files, tasks, users
from teamtasks.services.actors import Actor, actor_in
from teamtasks.storage import staged_objects
from teamtasks.storage.s3 import S3Storage, s3_client

SIZES_MIB = (1, 10, 20)
AT_ONCE = (1, 4)
"""Uploads in flight together: one (each upload's own speed) and four (what the service moves
when several members send files: one upload's database round trips overlap another's transfer)."""
CHUNK = CHUNK_SIZE
BUCKET = "teamtasks-bench"


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto's S3 server in a child process on a free loopback port; yields its endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


async def seed(factory: SessionFactory) -> tuple[Actor, int]:
    """A company with its owner and one task; the owner's Actor and the task's number."""
    async with unit_of_work(factory) as session:
        user = await users.sync_from_telegram(
            session,
            telegram_id=1,
            first_name="Bench",
            last_name=None,
            username=None,
            language_code="en",
        )
        company = await companies.create_company(session, user=user, name="Bench")
        actor = await actor_in(session, user=user, company_id=company.id)
        assert actor is not None
        task = await tasks.create_task(session, actor=actor, title="Upload files")
        return actor, task.number


def pdf_bytes(size: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size - 9)


async def chunks_of(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


async def generated(size: int) -> AsyncIterator[bytes]:
    """A PDF of `size` bytes made as it is read, so that no copy of it is resident."""
    block = os.urandom(CHUNK)
    yield b"%PDF-1.7\n"
    for start in range(9, size, CHUNK):
        yield block[: min(CHUNK, size - start)]


class Bench:
    def __init__(self, factory: SessionFactory, storage: S3Storage, actor: Actor, number: int):
        self.factory = factory
        self.storage = storage
        self.actor = actor
        self.number = number

    async def service(
        self, size: int, make_chunks: Callable[[], AsyncIterator[bytes]], at_once: int = 1
    ) -> float:
        """Seconds to attach `at_once` files together; the files are deleted afterwards, untimed."""
        started = time.perf_counter()
        attached = await asyncio.gather(
            *(self._attach(size, make_chunks()) for _ in range(at_once))
        )
        elapsed = time.perf_counter() - started
        for file_id in attached:
            async with (
                staged_objects(self.storage) as staged,
                unit_of_work(self.factory) as session,
            ):
                await files.delete_file(session, staged=staged, actor=self.actor, file_id=file_id)
        return elapsed

    async def _attach(self, size: int, chunks: AsyncIterator[bytes]) -> int:
        async with (
            staged_objects(self.storage) as staged,
            unit_of_work(self.factory) as session,
        ):
            file = await files.attach_file(
                session,
                staged=staged,
                actor=self.actor,
                number=self.number,
                file_name="bench.pdf",
                size=size,
                chunks=chunks,
                max_bytes=64 * MIB,
            )
            return file.id

    async def direct(self, data: bytes, at_once: int = 1) -> float:
        """Seconds to put the bytes `at_once` times together with the same client (same
        connections); the objects are deleted afterwards, untimed."""
        keys = [f"direct/{uuid.uuid4().hex}.pdf" for _ in range(at_once)]
        client = self.storage._client
        started = time.perf_counter()
        await asyncio.gather(
            *(
                client.put_object(
                    Bucket=self.storage.bucket, Key=key, Body=data, ContentType="application/pdf"
                )
                for key in keys
            )
        )
        elapsed = time.perf_counter() - started
        for key in keys:
            await self.storage.delete(key=key)
        return elapsed

    async def memory_growth(self, size: int) -> tuple[float, float]:
        """Peak traced allocations and peak RSS growth (MiB) while `size` bytes go through."""
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        try:
            await self.service(size, partial(generated, size))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / MIB, (rss_after - rss_before) / 1024


async def run(runs: int) -> None:
    database_url = await fresh_database()
    engine = None
    try:
        with moto_process() as endpoint:
            settings = Settings(
                database_url=database_url,
                storage_url=f"s3://{BUCKET}",
                s3_endpoint_url=endpoint,
                s3_access_key_id="bench",
                s3_secret_access_key="bench-secret",
            )
            engine = create_engine(settings)
            factory = create_session_factory(engine)
            async with s3_client(settings) as client:
                storage = S3Storage(client=client, bucket=BUCKET)
                await storage.prepare(create=True, region=settings.s3_region)
                actor, number = await seed(factory)
                bench = Bench(factory, storage, actor, number)
                await bench.service(MIB, partial(generated, MIB))
                await bench.direct(pdf_bytes(MIB))
                traced, rss = await bench.memory_growth(20 * MIB)
                rows = []
                for at_once in AT_ONCE:
                    for size_mib in SIZES_MIB:
                        data = pdf_bytes(size_mib * MIB)
                        direct, service = [], []
                        await bench.direct(data, at_once)
                        await bench.service(len(data), partial(chunks_of, data), at_once)
                        for _ in range(runs):
                            direct.append(await bench.direct(data, at_once))
                            service.append(
                                await bench.service(len(data), partial(chunks_of, data), at_once)
                            )
                        mib = size_mib * at_once
                        rows.append(
                            Row(
                                at_once,
                                size_mib,
                                mib / statistics.median(direct),
                                mib / statistics.median(service),
                            )
                        )
    finally:
        if engine is not None:
            await engine.dispose()
        await drop_database(database_url)
    report(runs, rows, traced, rss)


@dataclass(frozen=True)
class Row:
    at_once: int
    size_mib: int
    direct: float
    service: float

    @property
    def ratio(self) -> float:
        return self.service / self.direct


def report(runs: int, rows: list[Row], traced: float, rss: float) -> None:
    print(f"files: median of {runs} rounds per path; store: moto's S3 server (own process)")  # noqa: T201
    print(f"{'at once':>7} {'size':>7} {'direct MiB/s':>13} {'service MiB/s':>14} {'ratio':>6}")  # noqa: T201
    for row in rows:
        print(  # noqa: T201
            f"{row.at_once:>7} {row.size_mib:>3} MiB {row.direct:>13.1f} {row.service:>14.1f} "
            f"{row.ratio:>6.2f}"
        )
    for at_once in AT_ONCE:
        worst = min(row.ratio for row in rows if row.at_once == at_once)
        print(f"service/direct, {at_once} at once: lowest ratio {worst:.2f} (target >= 0.8)")  # noqa: T201
    print(  # noqa: T201
        f"memory growth uploading 20 MiB through the service: peak traced {traced:.1f} MiB, "
        f"peak RSS +{rss:.1f} MiB (target < 32)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="uploads per size and path")
    args = parser.parse_args()
    asyncio.run(run(args.runs))


if __name__ == "__main__":
    main()
