"""The sha256 of a stream, computed off the event loop while the stream flows on.

Every store hashes what it stores, so the digest recorded for a file is that of the bytes kept,
and an S3 store hands it to the store to verify (teamtasks/storage/s3.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
from typing import IO

from teamtasks.storage.base import StorageUnavailableError

_EXECUTOR = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="teamtasks-digest")
"""The digests' worker threads (a batch at a time per upload)."""
BATCH = 256 * 1024
"""Bytes handed to the worker thread at a time: the chunk the bot reads a download in, so each
chunk is hashed while the next one arrives and little is left to hash once the stream ends."""


class StreamDigest:
    """Chunks are gathered into batches of BATCH bytes; a worker thread hashes each batch, and
    writes it to the sink when there is one, while the next batch gathers (hashlib and file
    writes release the GIL). One batch runs at a time, in order, so at most two are held.

    A sink that cannot be written to is StorageUnavailableError.
    """

    def __init__(self, sink: IO[bytes] | None = None) -> None:
        self._hash = hashlib.sha256()
        self._sink = sink
        self._batch: list[bytes] = []
        self._batch_size = 0
        # The thread's own future: it ends only when the batch is done, whatever happens to
        # the coroutine awaiting it (cancelling an asyncio wrapper does not stop a thread).
        self._job: concurrent.futures.Future[None] | None = None

    async def update(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batch_size += len(chunk)
        if self._batch_size >= BATCH:
            await self._hand_over()

    async def write_to(self, sink: IO[bytes] | None) -> None:
        """Write the chunks given from now on to `sink` (and those before as decided then)."""
        if self._batch:
            await self._hand_over()
        self._sink = sink

    async def settle(self) -> None:
        """Wait until every chunk given so far is hashed and written."""
        if self._batch:
            await self._hand_over()
        await self._finish_job()

    async def digest(self) -> bytes:
        """The sha256 of every chunk given; the stream is over."""
        await self.settle()
        return self._hash.digest()

    async def abandon(self) -> None:
        """Drop what gathers and wait for the batch in the worker thread, if any, to end, its
        failure ignored (the stream failed: its sink can be closed once this returns)."""
        self._batch, self._batch_size = [], 0
        if self._job is not None:
            await asyncio.wait({asyncio.wrap_future(self._job)})
            self._job = None

    async def _hand_over(self) -> None:
        await self._finish_job()
        batch, self._batch, self._batch_size = self._batch, [], 0
        self._job = _EXECUTOR.submit(self._take, batch, self._sink)

    async def _finish_job(self) -> None:
        if self._job is not None:
            if not self._job.done():  # a finished batch costs no trip through the event loop
                await asyncio.wrap_future(self._job)
            self._job.result()
            self._job = None

    def _take(self, batch: list[bytes], sink: IO[bytes] | None) -> None:
        try:
            for chunk in batch:
                self._hash.update(chunk)
                if sink is not None:
                    sink.write(chunk)
        except OSError as exc:
            raise StorageUnavailableError(f"cannot write the upload: {exc}") from exc
