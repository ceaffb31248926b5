"""Presigned download links against s3rver, which checks their expiry and names the file.

What s3rver 3.7.1 checks, read in its source (lib/middleware/authentication.js): the expiry of
a SigV4 presigned URL (403 "Request has expired") and the access key; NOT the SigV4 signature
itself ("Signature version 4 calculation is unimplemented": a tampered URL is served), and not
who may read (anonymous reads are served). So links are tested here for expiry and
Content-Disposition only; tampering is tested on the local store's links (test_local.py) and
privacy on moto (test_s3_moto.py). A link made to live one second is fetched until the store
refuses it as expired: a wait on that condition, bounded, never a fixed sleep. s3rver runs in a
process of its own, so the memory a put takes is measured here too.
"""

from __future__ import annotations

import asyncio
import os
import re
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from teamtasks.storage import content_disposition
from teamtasks.storage.s3 import PART_SIZE, S3Storage

KEY = "company_1/task_1/0123456789abcdef0123456789abcdef.pdf"
BODY = b"%PDF-1.7\n" + bytes(range(256)) * 100
NAME = "Отчёт за май.pdf"
EXPIRY_WAIT = 10.0
"""Seconds a 1-second link may take to be refused (SigV4 dates have whole seconds)."""


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def stored(s3rver_storage: S3Storage) -> S3Storage:
    await s3rver_storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    return s3rver_storage


def _error_code(answer: httpx.Response) -> str:
    found = re.search(rb"<Code>([^<]+)</Code>", answer.content)
    return found[1].decode() if found else ""


async def test_a_link_downloads_the_file_under_its_original_name(stored: S3Storage) -> None:
    url = await stored.link(key=KEY, filename=NAME, expires_in=timedelta(hours=1))
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    assert answer.content == BODY
    assert answer.headers["content-disposition"] == content_disposition(NAME)


async def test_a_link_is_refused_once_it_has_expired(stored: S3Storage) -> None:
    url = await stored.link(key=KEY, filename=NAME, expires_in=timedelta(seconds=1))
    refused: httpx.Response | None = None
    async with httpx.AsyncClient() as client, asyncio.timeout(EXPIRY_WAIT):
        while refused is None:
            answer = await client.get(url)
            if answer.status_code == 200:
                assert answer.content == BODY
                # Poll gently: the condition turns within about a second.
                await asyncio.sleep(0.05)
            else:
                refused = answer
    assert refused.status_code == 403
    assert _error_code(refused) == "AccessDenied"
    assert b"Request has expired" in refused.content


async def test_a_put_of_declared_size_holds_a_few_chunks_not_the_object(
    s3rver_storage: S3Storage,
) -> None:
    """The store in a process of its own, so what is traced here is the upload's alone: a put
    of known size sends each chunk as it comes (a gathered one would hold PART_SIZE)."""
    size = 3 * PART_SIZE
    block = os.urandom(256 * 1024)

    async def download() -> AsyncIterator[bytes]:
        for _ in range(size // len(block)):
            yield block

    tracemalloc.start()
    try:
        stored = await s3rver_storage.put(
            key="company_1/task_1/large.pdf",
            chunks=download(),
            content_type="text/plain",
            size=size,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == size
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MiB"
