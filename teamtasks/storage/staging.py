"""Objects put and removed in one unit of work, kept in step with its outcome.

The unit of work runs inside `staged_objects(storage)`: when it fails (its commit included) the
objects it put are deleted, and once it has committed the objects whose rows it deleted are. A
deletion that fails is logged and leaves an orphan for the sweep (teamtasks/services/files.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import structlog

from teamtasks.storage.base import ObjectStorage, StorageUnavailableError

log = structlog.stdlib.get_logger("teamtasks.storage")


class StagedObjects:
    """The store, and the keys a unit of work put and removed (see `staged_objects`)."""

    def __init__(self, storage: ObjectStorage) -> None:
        self.storage = storage
        self.put_keys: list[str] = []
        self.removed_keys: list[str] = []


@asynccontextmanager
async def staged_objects(storage: ObjectStorage) -> AsyncIterator[StagedObjects]:
    """Wrap a unit of work (it must commit inside the block): on an exception the objects it
    put are deleted; on success the objects whose rows it deleted are."""
    staged = StagedObjects(storage)
    try:
        yield staged
    except BaseException:
        await asyncio.shield(delete_quietly(storage, staged.put_keys))
        raise
    await delete_quietly(storage, staged.removed_keys)


async def delete_quietly(storage: ObjectStorage, keys: Iterable[str]) -> None:
    """Delete objects, logging failures: what is left is an orphan for the sweep."""
    for key in keys:
        try:
            await storage.delete(key=key)
        except StorageUnavailableError as exc:
            log.warning("object_not_deleted", key=key, error=str(exc))
