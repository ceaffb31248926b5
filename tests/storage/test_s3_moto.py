"""The S3 adapter against moto's server: privacy, multipart, put/get/delete/list, encryption.

moto does not check presigned-URL signatures or expiry, so no link test runs here (see
test_s3rver.py); what it does check, it can fail: an object of a public bucket would be served
to an anonymous reader, a single PUT has no part count in its ETag, and so on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from teamtasks.config import ConfigError
from teamtasks.storage import StorageUnavailableError, StoredObject, open_storage
from teamtasks.storage.s3 import PART_SIZE, SINGLE_PUT_MAX, S3Storage, s3_client
from tests.storage.servers import S3Server, new_bucket, s3_error, s3_proxy, s3_storage
from tests.support.web import free_port

BLOCK = os.urandom(64 * 1024)


async def stream(size: int) -> AsyncIterator[bytes]:
    """`size` bytes in 64 KiB chunks, as a download arrives."""
    for start in range(0, size, len(BLOCK)):
        yield BLOCK[: min(len(BLOCK), size - start)]


def sha256_of_stream(size: int) -> str:
    digest = hashlib.sha256()
    for start in range(0, size, len(BLOCK)):
        digest.update(BLOCK[: min(len(BLOCK), size - start)])
    return digest.hexdigest()


async def fetch(storage: S3Storage, key: str) -> httpx.Response:
    """The object as a download link serves it (moto serves presigned GETs without checks)."""
    link = await storage.link(key=key, filename="x.bin", expires_in=timedelta(minutes=5))
    async with httpx.AsyncClient() as client:
        return await client.get(link)


async def test_a_private_bucket_refuses_anonymous_readers(
    moto: S3Server, moto_storage: S3Storage
) -> None:
    key = "company_1/task_1/secret.pdf"
    await moto_storage.put(key=key, chunks=stream(1000), content_type="application/pdf")
    async with httpx.AsyncClient() as client:
        anonymous = await client.get(f"{moto.endpoint}/{moto_storage.bucket}/{key}")
    assert anonymous.status_code == 403
    assert (await fetch(moto_storage, key)).status_code == 200


async def test_moto_serves_anonymous_readers_of_a_public_bucket(moto: S3Server) -> None:
    # The contrast that makes the test above mean something: moto does tell the two apart.
    bucket = new_bucket()
    async with s3_client(moto.settings(bucket)) as client:
        await client.create_bucket(Bucket=bucket, ACL="public-read")
        await client.put_object(Bucket=bucket, Key="open.txt", Body=b"hi", ACL="public-read")
    async with httpx.AsyncClient() as client:
        anonymous = await client.get(f"{moto.endpoint}/{bucket}/open.txt")
    assert (anonymous.status_code, anonymous.content) == (200, b"hi")


async def test_a_created_bucket_blocks_public_access(moto: S3Server) -> None:
    async with s3_storage(moto) as storage:
        settings = moto.settings(storage.bucket)
        async with s3_client(settings) as client:
            block = await client.get_public_access_block(Bucket=storage.bucket)
    assert block["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


async def test_an_object_above_a_part_goes_up_in_one_request(moto: S3Server) -> None:
    size = 2 * PART_SIZE + 12345
    key = "company_1/task_1/one.pdf"
    async with s3_storage(moto) as storage:
        stored = await storage.put(key=key, chunks=stream(size), content_type="application/pdf")
        async with s3_client(moto.settings(storage.bucket)) as client:
            head = await client.head_object(Bucket=storage.bucket, Key=key)
        answer = await fetch(storage, key)
    assert stored == StoredObject(size, sha256_of_stream(size))
    assert "-" not in head["ETag"]
    assert (head["ContentLength"], head["ContentType"]) == (size, "application/pdf")
    assert hashlib.sha256(answer.content).hexdigest() == sha256_of_stream(size)


async def test_an_object_above_the_single_request_size_goes_up_in_parts(moto: S3Server) -> None:
    size = 2 * PART_SIZE + 12345
    key = "company_1/task_1/big.pdf"
    # What was kept for a single put (PART_SIZE in memory, 2 MiB past it on disk) becomes the
    # first part once the object outgrows one request; the rest follows in parts from memory.
    async with s3_storage(moto, single_put_max=PART_SIZE + 2 * 1024 * 1024) as storage:
        stored = await storage.put(key=key, chunks=stream(size), content_type="application/pdf")
        async with s3_client(moto.settings(storage.bucket)) as client:
            head = await client.head_object(Bucket=storage.bucket, Key=key)
        answer = await fetch(storage, key)
    assert stored == StoredObject(size, sha256_of_stream(size))
    assert head["ETag"].strip('"').endswith("-2")
    assert (head["ContentLength"], head["ContentType"]) == (size, "application/pdf")
    assert hashlib.sha256(answer.content).hexdigest() == sha256_of_stream(size)


async def test_a_single_put_carries_its_sha256_instead_of_hashing_the_body_again(
    moto: S3Server,
) -> None:
    # Over plain HTTP botocore signs a hash of the whole body unless told otherwise; a body
    # whose sha256 the store checks (a signed header) needs no second pass over its bytes.
    settings = moto.settings(new_bucket())
    assert settings.s3_bucket is not None
    sent: list[dict[str, str]] = []

    def capture(request: Any, **_: Any) -> None:
        sent.append(
            {
                name: value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
        )

    async with s3_client(settings) as client:
        storage = S3Storage(client=client, bucket=settings.s3_bucket)
        await storage.prepare(create=True, region=settings.s3_region)
        client.meta.events.register("before-send.s3.PutObject", capture)
        key = "company_1/task_1/checked.pdf"
        stored = await storage.put(
            key=key, chunks=stream(3 * 64 * 1024 + 5), content_type="application/pdf"
        )
        plain = b"a plain put of the same client"
        await client.put_object(Bucket=storage.bucket, Key="plain.txt", Body=plain)
        head = await client.head_object(Bucket=storage.bucket, Key=key, ChecksumMode="ENABLED")
    ours, other = sent
    checksum = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    assert ours["x-amz-checksum-sha256"] == checksum
    assert ours["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert head["ChecksumSHA256"] == checksum
    # Requests without such a checksum keep their body in the signature.
    assert "x-amz-checksum-sha256" not in other
    assert other["X-Amz-Content-SHA256"] == hashlib.sha256(plain).hexdigest()


async def test_a_small_object_is_one_put(moto: S3Server, moto_storage: S3Storage) -> None:
    key = "company_1/task_1/small.txt"
    await moto_storage.put(key=key, chunks=stream(PART_SIZE - 1), content_type="text/plain")
    async with s3_client(moto.settings(moto_storage.bucket)) as client:
        head = await client.head_object(Bucket=moto_storage.bucket, Key=key)
    assert "-" not in head["ETag"]
    assert head["ContentLength"] == PART_SIZE - 1
    assert "ServerSideEncryption" not in head


@pytest.mark.parametrize("single_put_max", [SINGLE_PUT_MAX, 0])
async def test_objects_are_encrypted_at_rest_when_the_store_supports_it(
    moto: S3Server, single_put_max: int
) -> None:
    async with s3_storage(moto, s3_sse=True, single_put_max=single_put_max) as storage:
        small, large = "company_1/task_1/a.pdf", "company_1/task_1/b.pdf"
        await storage.put(key=small, chunks=stream(10), content_type="application/pdf")
        await storage.put(key=large, chunks=stream(PART_SIZE + 1), content_type="application/pdf")
        async with s3_client(moto.settings(storage.bucket)) as client:
            for key in (small, large):
                head = await client.head_object(Bucket=storage.bucket, Key=key)
                assert head["ServerSideEncryption"] == "AES256"


async def test_objects_are_listed_headed_and_deleted(moto_storage: S3Storage) -> None:
    keys = ["company_1/task_1/a.txt", "company_1/task_2/b.txt", "company_10/task_3/c.txt"]
    for size, key in enumerate(keys, start=1):
        await moto_storage.put(key=key, chunks=stream(size), content_type="text/plain")
    listed = [(info.key, info.size) async for info in moto_storage.scan(prefix="company_1/")]
    assert listed == [(keys[0], 1), (keys[1], 2)]
    assert [info.key async for info in moto_storage.scan(prefix="")] == keys
    head = await moto_storage.head(key=keys[2])
    assert head is not None
    assert head.size == 3
    assert head.modified_at.tzinfo is not None
    await moto_storage.delete(key=keys[2])
    assert await moto_storage.head(key=keys[2]) is None
    await moto_storage.delete(key=keys[2])


async def test_a_failed_stream_aborts_the_multipart_upload(moto: S3Server) -> None:
    async def broken() -> AsyncIterator[bytes]:
        async for chunk in stream(PART_SIZE + 1024):
            yield chunk
        raise ConnectionResetError("the download broke")

    key = "company_1/task_1/broken.pdf"
    async with s3_storage(moto, single_put_max=0) as storage:
        with pytest.raises(ConnectionResetError):
            await storage.put(key=key, chunks=broken(), content_type="application/pdf")
        assert await storage.head(key=key) is None
        async with s3_client(moto.settings(storage.bucket)) as client:
            uploads = await client.list_multipart_uploads(Bucket=storage.bucket)
    assert uploads.get("Uploads", []) == []


async def test_start_up_creates_a_missing_bucket_only_when_allowed(moto: S3Server) -> None:
    bucket = new_bucket()
    with pytest.raises(ConfigError, match=f"bucket {bucket} does not exist.*S3_CREATE_BUCKET"):
        async with open_storage(moto.settings(bucket, s3_create_bucket=False)):
            pass
    async with open_storage(moto.settings(bucket)) as storage:
        assert isinstance(storage, S3Storage)
        await storage.ready()
    async with open_storage(moto.settings(bucket, s3_create_bucket=False)) as storage:
        await storage.ready()


async def test_start_up_names_an_unreachable_store(moto: S3Server) -> None:
    unreachable = S3Server(f"http://127.0.0.1:{free_port()}", "key", "secret")
    with pytest.raises(ConfigError, match="S3_ENDPOINT_URL: cannot reach the store"):
        async with open_storage(unreachable.settings(new_bucket())):
            pass


async def test_an_unreachable_store_is_unavailable_to_every_call() -> None:
    unreachable = S3Server(f"http://127.0.0.1:{free_port()}", "key", "secret")
    settings = unreachable.settings(new_bucket())
    async with s3_client(settings, attempts=1) as client:
        storage = S3Storage(client=client, bucket=new_bucket())
        with pytest.raises(StorageUnavailableError):
            await storage.ready()
        with pytest.raises(StorageUnavailableError):
            await storage.put(key="k", chunks=stream(10), content_type="text/plain")
        with pytest.raises(StorageUnavailableError):
            await storage.head(key="k")
        with pytest.raises(StorageUnavailableError):
            await storage.delete(key="k")
        with pytest.raises(StorageUnavailableError):
            [info async for info in storage.scan(prefix="")]


@contextlib.asynccontextmanager
async def refusing_checksums(
    moto: S3Server,
) -> AsyncIterator[tuple[S3Server, list[tuple[str, dict[str, str]]]]]:
    """moto behind a proxy that answers a put carrying x-amz-checksum-* as stores without
    checksum support do (400 InvalidArgument) and passes every other request on; yields the
    proxy as a server and the paths and headers (lower-case names) of the puts it passed."""
    passed: list[tuple[str, dict[str, str]]] = []

    def answer(request: web.Request, _: bytes) -> web.Response | None:
        if request.method != "PUT":
            return None
        if any(name.lower().startswith("x-amz-checksum-") for name in request.headers):
            return s3_error(400, "InvalidArgument", "Unsupported header x-amz-checksum-sha256")
        passed.append((request.path, {name.lower(): v for name, v in request.headers.items()}))
        return None

    async with s3_proxy(moto, answer) as proxy:
        yield proxy, passed


async def test_a_store_refusing_checksums_gets_signed_puts_without_them(moto: S3Server) -> None:
    key = "company_1/task_1/plain.pdf"
    size = 3 * 64 * 1024 + 5
    with capture_logs() as logs:
        async with refusing_checksums(moto) as (proxy, passed), s3_storage(proxy) as storage:
            stored = await storage.put(key=key, chunks=stream(size), content_type="text/plain")
            answer = await fetch(storage, key)
    assert [entry["error"] for entry in logs if entry["event"] == "store_refuses_checksums"] == [
        "InvalidArgument"
    ]
    assert stored == StoredObject(size, sha256_of_stream(size))
    assert hashlib.sha256(answer.content).hexdigest() == stored.sha256
    (put,) = [headers for path, headers in passed if path.endswith(key)]
    # Without a checksum the store can check, the body's hash is signed again.
    assert "x-amz-checksum-sha256" not in put
    assert put["x-amz-content-sha256"] == stored.sha256


async def test_a_put_cancelled_once_the_store_has_the_object_leaves_nothing(
    moto: S3Server,
) -> None:
    key = "company_1/task_1/cancelled.pdf"
    size = PART_SIZE + 12345  # past the head: the put still has its temporary file to close

    def cancel_the_upload(**_: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()

    async with s3_storage(moto) as storage:
        storage._client.meta.events.register("after-call.s3.PutObject", cancel_the_upload)
        upload = asyncio.create_task(
            storage.put(key=key, chunks=stream(size), content_type="application/pdf")
        )
        with pytest.raises(asyncio.CancelledError):
            await upload
        storage._client.meta.events.unregister("after-call.s3.PutObject", cancel_the_upload)
        assert await storage.head(key=key) is None


async def test_a_first_chunk_larger_than_one_request_still_makes_valid_parts(
    moto: S3Server,
) -> None:
    size = 2 * PART_SIZE + 12345
    data = os.urandom(size)

    async def one_chunk() -> AsyncIterator[bytes]:
        yield data

    key = "company_1/task_1/whole.pdf"
    async with s3_storage(moto, single_put_max=PART_SIZE) as storage:
        stored = await storage.put(key=key, chunks=one_chunk(), content_type="application/pdf")
        async with s3_client(moto.settings(storage.bucket)) as client:
            head = await client.head_object(Bucket=storage.bucket, Key=key)
        answer = await fetch(storage, key)
    assert stored == StoredObject(size, hashlib.sha256(data).hexdigest())
    assert head["ETag"].strip('"').endswith("-3")
    assert answer.content == data


class DownloadBrokeError(Exception):
    """A source's own failure, as a dropped Telegram download would raise it."""


async def test_a_put_of_declared_size_streams_in_one_unsigned_request(moto: S3Server) -> None:
    """The size known in advance, the stream goes out as it arrives: one PutObject that names
    the length and signs no hash of a body it has not seen; the hash is taken on the way."""
    size = PART_SIZE + 3 * 64 * 1024 + 5  # past what a gathered put keeps in memory
    key = "company_1/task_1/streamed.pdf"
    sent: list[dict[str, str]] = []

    def capture(request: Any, **_: Any) -> None:
        sent.append(
            {
                name.lower(): value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
        )

    async with s3_storage(moto) as storage:
        storage._client.meta.events.register("before-send.s3.PutObject", capture)
        stored = await storage.put(
            key=key, chunks=stream(size), content_type="application/pdf", size=size
        )
        answer = await fetch(storage, key)
    assert stored == StoredObject(size, sha256_of_stream(size))
    assert hashlib.sha256(answer.content).hexdigest() == stored.sha256
    (put,) = sent
    assert put["content-length"] == str(size)
    assert put["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"


@pytest.mark.parametrize("sent", [1000, 3000])
async def test_a_stream_of_another_length_than_declared_stores_nothing(
    moto: S3Server, sent: int
) -> None:
    key = "company_1/task_1/misdeclared.pdf"
    async with s3_storage(moto) as storage:
        with pytest.raises(StorageUnavailableError, match="2000"):
            await storage.put(key=key, chunks=stream(sent), content_type="text/plain", size=2000)
        assert await storage.head(key=key) is None
        assert [info async for info in storage.scan(prefix="company_1/")] == []


async def test_a_stream_failing_part_way_raises_its_own_error_and_stores_nothing(
    moto: S3Server,
) -> None:
    key = "company_1/task_1/broken.pdf"

    async def breaking() -> AsyncIterator[bytes]:
        async for chunk in stream(PART_SIZE):
            yield chunk
        raise DownloadBrokeError("the connection to Telegram dropped")

    async with s3_storage(moto) as storage:
        with pytest.raises(DownloadBrokeError, match="dropped"):
            await storage.put(
                key=key, chunks=breaking(), content_type="text/plain", size=2 * PART_SIZE
            )
        assert await storage.head(key=key) is None


async def test_a_streamed_put_cancelled_while_the_download_waits_leaves_nothing(
    moto: S3Server,
) -> None:
    """The bot stops while a download is half-way: the request to the store ends unfinished,
    and the store keeps nothing of it."""
    key = "company_1/task_1/half.pdf"
    asked_for_more = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        yield BLOCK
        asked_for_more.set()
        await asyncio.Event().wait()  # the rest never comes
        yield BLOCK

    async with s3_storage(moto) as storage:
        upload = asyncio.create_task(
            storage.put(key=key, chunks=stalled(), content_type="text/plain", size=4 * len(BLOCK))
        )
        await asked_for_more.wait()
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload
        assert await storage.head(key=key) is None
        # The store still takes the next upload: nothing of the abandoned one is in the way.
        await storage.put(key=key, chunks=stream(10), content_type="text/plain", size=10)
        assert (await storage.head(key=key)) is not None


async def test_a_stream_failing_after_its_last_byte_stores_nothing(moto: S3Server) -> None:
    """The content check fails at the very end: the store had every byte and may have kept
    the object, which is deleted once it answered."""
    key = "company_1/task_1/tail.pdf"
    size = 4 * len(BLOCK)

    async def bad_ending() -> AsyncIterator[bytes]:
        async for chunk in stream(size):
            yield chunk
        raise DownloadBrokeError("the content's end does not match its type")

    async with s3_storage(moto) as storage:
        with pytest.raises(DownloadBrokeError):
            await storage.put(key=key, chunks=bad_ending(), content_type="text/plain", size=size)
        assert await storage.head(key=key) is None


async def test_a_stream_whose_end_comes_after_the_stores_answer_is_stored(
    moto: S3Server,
) -> None:
    """Every declared byte went out and the store answered before the download said it was
    over: the upload is good."""
    key = "company_1/task_1/late-end.pdf"
    size = 2 * len(BLOCK)
    answered = asyncio.Event()

    async def late_end() -> AsyncIterator[bytes]:
        async for chunk in stream(size):
            yield chunk
        async with asyncio.timeout(10):
            await answered.wait()

    async with s3_storage(moto) as storage:
        storage._client.meta.events.register("after-call.s3.PutObject", lambda **_: answered.set())
        stored = await storage.put(key=key, chunks=late_end(), content_type="text/plain", size=size)
        assert stored == StoredObject(size, sha256_of_stream(size))
        assert (await fetch(storage, key)).content == b"".join([c async for c in stream(size)])


async def test_an_upload_cancelled_while_the_store_answers_leaves_nothing(
    moto: S3Server,
) -> None:
    """The caller is cancelled once the store has every byte: the request is not cut (the
    store would keep the object anyway); its answer is awaited and the object deleted."""
    key = "company_1/task_1/answering.pdf"
    size = 2 * len(BLOCK)
    uploading: list[asyncio.Task[StoredObject]] = []

    def cancel_the_caller(request: web.Request, body: bytes) -> None:
        if request.method == "PUT" and request.path.endswith(key):
            uploading[0].cancel()

    async with s3_proxy(moto, cancel_the_caller) as proxy, s3_storage(proxy) as storage:
        uploading.append(
            asyncio.create_task(
                storage.put(key=key, chunks=stream(size), content_type="text/plain", size=size)
            )
        )
        with pytest.raises(asyncio.CancelledError):
            await uploading[0]
        assert await storage.head(key=key) is None


async def test_slow_downloads_streaming_in_do_not_hold_up_other_requests(moto: S3Server) -> None:
    """Twelve uploads wait on their downloads, each holding a connection to the store: a link
    check (HEAD) still goes through at once."""
    released = asyncio.Event()
    streaming: list[None] = []
    all_streaming = asyncio.Event()

    async def slow_download() -> AsyncIterator[bytes]:
        yield BLOCK
        yield BLOCK  # handed over only once the first went out: the request has a connection
        streaming.append(None)
        if len(streaming) == 12:
            all_streaming.set()
        await released.wait()
        yield BLOCK

    async with s3_storage(moto) as storage:
        await storage.put(key="company_1/task_1/ready.pdf", chunks=stream(10), content_type="x/y")
        uploads = [
            asyncio.create_task(
                storage.put(
                    key=f"company_1/task_1/slow-{n}.pdf",
                    chunks=slow_download(),
                    content_type="text/plain",
                    size=3 * len(BLOCK),
                )
            )
            for n in range(12)
        ]
        try:
            async with asyncio.timeout(10):
                await all_streaming.wait()
                head = await storage.head(key="company_1/task_1/ready.pdf")
        finally:
            released.set()
            stored = await asyncio.gather(*uploads)
    assert head is not None
    assert [item.size for item in stored] == [3 * len(BLOCK)] * 12
