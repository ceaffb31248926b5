"""The store the settings choose: STORAGE_URL unset -> the local directory, s3://BUCKET -> S3."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from teamtasks.config import ConfigError, Settings
from teamtasks.storage.base import ObjectStorage, StorageUnavailableError
from teamtasks.storage.local import LocalStorage
from teamtasks.storage.s3 import S3Storage, s3_client


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[ObjectStorage]:
    """The store, checked (and its bucket created when allowed) for the block's lifetime.

    A store that cannot be used stops start-up with a ConfigError naming the setting to fix.
    """
    bucket = settings.s3_bucket
    if bucket is None:
        local = LocalStorage.from_settings(settings)
        try:
            await local.ready()
        except StorageUnavailableError as exc:
            raise ConfigError(f"DATA_DIR: {exc}") from None
        yield local
        return
    async with s3_client(settings) as client:
        storage = S3Storage(client=client, bucket=bucket, sse=settings.s3_sse)
        await storage.prepare(create=settings.s3_create_bucket, region=settings.s3_region)
        yield storage
