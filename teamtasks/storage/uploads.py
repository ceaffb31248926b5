"""An upload as a block: the object is stored once the block is left without an error, and
nothing is left behind when it is left with one (the stream's, the store's or the block's own).

In the block a caller sends the stream and may then do its own work (record the file) while a
store that sends as it reads is still taking the last bytes in: `ObjectStorage.upload`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from teamtasks.storage.base import ObjectStorage, StoredObject
from teamtasks.storage.staging import delete_quietly


class Upload(Protocol):
    async def send(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        """Read the stream to its end (once per upload); its size and sha256. The store may
        still be taking the object in: it is stored when the block is left."""
        ...

    async def finish(self) -> None:
        """Wait until the store has the object (StorageUnavailableError when it failed)."""
        ...

    async def abandon(self) -> None:
        """Stop the upload and remove whatever the store may have kept of it."""
        ...


@asynccontextmanager
async def upload_block(upload: Upload) -> AsyncIterator[Upload]:
    try:
        yield upload
        await upload.finish()
    except BaseException:
        await asyncio.shield(upload.abandon())
        raise


class StoredWhenSent:
    """An upload done by a put that has stored the object by the time it returns."""

    def __init__(
        self,
        storage: ObjectStorage,
        key: str,
        put: Callable[[AsyncIterable[bytes]], Awaitable[StoredObject]],
    ) -> None:
        self._storage = storage
        self._key = key
        self._put = put
        self._stored = False

    async def send(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        stored = await self._put(chunks)
        self._stored = True
        return stored

    async def finish(self) -> None:
        return None

    async def abandon(self) -> None:
        if self._stored:
            await delete_quietly(self._storage, [self._key])
