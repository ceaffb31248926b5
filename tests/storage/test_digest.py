"""The stream digest: the sha256 of what passed, and a sink that cannot be written to."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from teamtasks.storage import StorageUnavailableError
from teamtasks.storage.digest import BATCH, StreamDigest


async def test_the_digest_is_the_sha256_of_every_chunk_and_the_sink_gets_them_all() -> None:
    chunks = [os.urandom(size) for size in (1, BATCH - 1, BATCH, 3 * BATCH + 7, 0, 5)]
    sink = io.BytesIO()
    digest = StreamDigest()
    await digest.update(chunks[0])
    await digest.write_to(sink)  # only what is given from here on is written
    for chunk in chunks[1:]:
        await digest.update(chunk)
    assert await digest.digest() == hashlib.sha256(b"".join(chunks)).digest()
    assert sink.getvalue() == b"".join(chunks[1:])


async def test_a_full_disk_is_storage_unavailable() -> None:
    with open("/dev/full", "wb", buffering=0) as full:  # noqa: ASYNC230 - a device: no wait
        digest = StreamDigest(sink=full)

        async def write_three_batches() -> None:
            for _ in range(3):
                await digest.update(b"x" * BATCH)
            await digest.digest()

        with pytest.raises(StorageUnavailableError, match="No space left"):
            await write_three_batches()
        await digest.abandon()
