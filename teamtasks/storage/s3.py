"""S3 and S3-compatible stores (AWS, MinIO, ...) through aiobotocore.

An object whose size is declared and at most SINGLE_PUT_MAX is one PutObject whose body is the
stream itself: each chunk is sent as it arrives and hashed on the way, so the upload overlaps
the download and holds a few chunks. A stream that fails or runs longer or shorter than declared
cuts the request short, and the store keeps nothing; once every byte went out the request can no
longer be cut, so its answer is awaited and what the store kept is deleted. The body is sent
unsigned (UNSIGNED-PAYLOAD: its hash is known only at its end), as S3 does over HTTPS anyway.

Otherwise the stream is gathered before it is sent. Such an upload holds at most PART_SIZE and
one READ_SIZE piece in memory (larger chunks are split), besides the two batches its digest may
hold (teamtasks/storage/digest.py). An object up to SINGLE_PUT_MAX goes up as one PutObject: its
first PART_SIZE kept in memory, the rest written to a temporary file by the digest's worker
thread as it hashes it, sent as one body: one request instead of a multipart upload's four or
more, whose merging of parts stores also pay for. A larger object is a multipart upload whose
first part is what was kept (memory and file) and the rest PART_SIZE parts; a failed one is
aborted, and an object a failed or cancelled put may have left is deleted.
A gathered single put sends its sha256 for the store to check the body against
(x-amz-checksum-sha256), and is then not hashed again for its signature.
A store that refuses checksum headers (found out by a probe at start-up) gets puts without them
and signed body hashes. A store that ignores them (moto, s3rver) checks neither: over plain HTTP
such a store's bodies are protected by TCP alone, which is why production stores take HTTPS.
The bucket is private (created so when missing and S3_CREATE_BUCKET allows, with public access
blocked where the store supports it); objects are encrypted at rest (SSE-S3) when S3_SSE says the
store supports it. Links are SigV4 presigned GETs naming the file in Content-Disposition.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import functools
import hashlib
import io
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import aiohttp
import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from teamtasks.config import ConfigError, Settings
from teamtasks.storage.base import (
    ObjectInfo,
    StorageUnavailableError,
    StoredObject,
    check_ttl,
    content_disposition,
)
from teamtasks.storage.digest import StreamDigest
from teamtasks.storage.staging import delete_quietly
from teamtasks.storage.uploads import StoredWhenSent, Upload, upload_block

if TYPE_CHECKING:
    from botocore.awsrequest import AWSRequest
    from botocore.config import _S3Dict
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

log = structlog.stdlib.get_logger("teamtasks.storage")

T = TypeVar("T")

PART_SIZE = 8 * 1024 * 1024
"""The part size of multipart uploads (S3's minimum is 5 MiB) and what an upload holds in memory
(as its first bytes, or a part)."""
READ_SIZE = 1024 * 1024
"""What a body on disk is read by, one worker-thread hop each, as it is sent."""
SINGLE_PUT_MAX = 64 * 1024 * 1024
"""Objects up to this size go up in one request; larger ones in parts (a store's setting below
PART_SIZE counts as PART_SIZE)."""
MAX_CONNECTIONS = 64
"""Connections to the store at most (webhook mode hands the bot up to 40 updates at once)."""
PROBE_PREFIX = "teamtasks-probe/"
"""Where start-up puts (and deletes) the object that tells whether the store takes checksums."""
_FAILURES = (BotoCoreError, ClientError, aiohttp.ClientError, OSError)
_MISSING = frozenset({"404", "NoSuchBucket", "NoSuchKey", "NotFound"})


def s3_client(settings: Settings, *, attempts: int = 3) -> AbstractAsyncContextManager[S3Client]:
    """An aiobotocore S3 client for the S3_* settings (enter it to open its connections).

    A request that fails to connect or gets a 5xx is tried `attempts` times in all.
    """
    assert settings.s3_access_key_id is not None
    assert settings.s3_secret_access_key is not None
    config = AioConfig(
        signature_version="s3v4",
        # Path-style URLs work with every S3-compatible store; AWS picks its own style.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        connect_timeout=5,
        read_timeout=60,
        # A streamed upload holds its connection while the file downloads from Telegram, so
        # botocore's 10 would let ten slow downloads hold up every other request to the store.
        max_pool_connections=MAX_CONNECTIONS,
        retries={"max_attempts": attempts, "mode": "standard"},
        # Checksums only where S3 requires them: stores other than AWS often lack the newer ones.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return get_session().create_client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id.get_secret_value(),
        aws_secret_access_key=settings.s3_secret_access_key.get_secret_value(),
        config=config,
    )


class S3Storage:
    """Objects in one bucket of an S3-compatible store."""

    def __init__(
        self,
        *,
        client: S3Client,
        bucket: str,
        sse: bool = False,
        part_size: int = PART_SIZE,
        single_put_max: int = SINGLE_PUT_MAX,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self._encryption: dict[str, Any] = {"ServerSideEncryption": "AES256"} if sse else {}
        self._part_size = part_size
        self._single_put_max = max(single_put_max, part_size)
        self._checksums = True
        client.meta.events.register(
            "before-sign.s3.PutObject",
            functools.partial(
                _sign_checksum_not_payload, unsigned=_without_payload_signing(client.meta.config)
            ),
            unique_id="teamtasks-sign-checksum-not-payload",
        )

    async def prepare(self, *, create: bool, region: str) -> None:
        """Check the bucket at start-up; create it (private) when missing and `create` allows.

        ConfigError, naming the setting to fix, when the store cannot be used.
        """
        try:
            await self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                message = f"STORAGE_URL: the store refused bucket {self.bucket}: {_code(exc)}"
                raise ConfigError(message) from None
            if not create:
                raise ConfigError(
                    f"STORAGE_URL: bucket {self.bucket} does not exist; create it (private) or "
                    "set S3_CREATE_BUCKET=true"
                ) from None
            await self._create_bucket(region)
        except (BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise ConfigError(f"S3_ENDPOINT_URL: cannot reach the store: {exc}") from None
        await self._probe_checksums()

    async def _probe_checksums(self) -> None:
        """Put (and delete) a small object with its sha256: a store that refuses the checksum
        headers gets puts without them (botocore then signs a hash of each body instead)."""
        key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
        body = b"teamtasks"
        try:
            await self._put_whole(key, "text/plain", body, hashlib.sha256(body).digest())
        except StorageUnavailableError as exc:
            refusal = exc.__cause__
            if not isinstance(refusal, ClientError):
                raise ConfigError(f"S3_ENDPOINT_URL: cannot reach the store: {exc}") from None
            status = refusal.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status not in (400, 501):
                message = f"STORAGE_URL: the store refused a put to {self.bucket}: {_code(refusal)}"
                raise ConfigError(message) from None
            self._checksums = False
            log.warning("store_refuses_checksums", error=_code(refusal))
            return
        await delete_quietly(self, [key])

    async def _create_bucket(self, region: str) -> None:
        try:
            if region == "us-east-1":
                await self._client.create_bucket(Bucket=self.bucket)
            else:
                await self._client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError) as exc:
            raise ConfigError(f"STORAGE_URL: cannot create bucket {self.bucket}: {exc}") from None
        try:
            await self._client.put_public_access_block(
                Bucket=self.bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        except ClientError as exc:
            # New buckets are private anyway; some stores just lack this extra guard.
            log.warning("bucket_public_access_block_unsupported", error=_code(exc))
        log.info("bucket_created", bucket=self.bucket)

    async def put(
        self, *, key: str, chunks: AsyncIterable[bytes], content_type: str, size: int | None = None
    ) -> StoredObject:
        async with self.upload(key=key, content_type=content_type, size=size) as upload:
            return await upload.send(chunks)

    def upload(
        self, *, key: str, content_type: str, size: int | None = None
    ) -> AbstractAsyncContextManager[Upload]:
        if size is not None and 0 < size <= self._single_put_max:
            return upload_block(_StreamedUpload(self, key, content_type, size))

        async def gathered(chunks: AsyncIterable[bytes]) -> StoredObject:
            return await self._put_gathered(key, chunks, content_type)

        return upload_block(StoredWhenSent(self, key, gathered))

    async def _put_piped(self, key: str, content_type: str, body: _Piped) -> None:
        await _call(
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=_as_file(body),
                ContentLength=len(body),
                ContentType=content_type,
                **self._encryption,
            )
        )

    async def _put_gathered(
        self, key: str, chunks: AsyncIterable[bytes], content_type: str
    ) -> StoredObject:
        """The stream gathered (memory, then a temporary file) and hashed before it is sent:
        its size is not known in advance, or it goes up in parts."""
        digest = StreamDigest()
        # A single put's first PART_SIZE bytes, or a multipart upload's part being gathered.
        head = io.BytesIO()
        # A single put's bytes past its head, written there by the digest's worker thread.
        spool: IO[bytes] | None = None
        parts: list[CompletedPartTypeDef] = []
        upload_id: str | None = None
        size = 0

        sent = False

        async def clean_up() -> None:
            await digest.abandon()
            if upload_id is not None:
                await self._abort(key, upload_id)
            await _closed(spool)
            if sent:
                # The store may have kept what it was sent before the failure or the cancel.
                await delete_quietly(self, [key])

        try:
            async for piece in chunks:
                # A part is at least what was kept before the piece that outgrew one request.
                for chunk in _at_most(piece, READ_SIZE):
                    if upload_id is None and size + len(chunk) > self._single_put_max:
                        # Too big for one request: what was kept goes up as the first part.
                        upload_id = await self._start_upload(key, content_type)
                        await digest.settle()
                        await digest.write_to(None)
                        parts.append(await self._upload_part(key, upload_id, 1, head, spool))
                        await _closed(spool)
                        head, spool = io.BytesIO(), None
                    size += len(chunk)
                    if upload_id is None and spool is None and head.tell() >= self._part_size:
                        spool = await _new_spool()
                        await digest.write_to(spool)
                    if spool is None:
                        head.write(chunk)
                    await digest.update(chunk)
                    if upload_id is not None and head.tell() >= self._part_size:
                        number = len(parts) + 1
                        parts.append(await self._upload_part(key, upload_id, number, head))
                        head = io.BytesIO()
            sha256 = await digest.digest()
            sent = True
            if upload_id is None:
                await self._put_whole(key, content_type, await _body(head, spool), sha256)
            else:
                if head.tell():
                    parts.append(await self._upload_part(key, upload_id, len(parts) + 1, head))
                await _call(
                    self._client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
                )
            await _closed(spool)
        except BaseException:
            await asyncio.shield(clean_up())
            raise
        return StoredObject(size, sha256.hex())

    async def _put_whole(
        self, key: str, content_type: str, body: bytes | _Body, sha256: bytes
    ) -> None:
        """One PutObject carrying the body's sha256 for the store to check, unless it refused
        that at start-up (see `_sign_checksum_not_payload`)."""
        checksum: dict[str, Any] = {}
        if self._checksums:
            checksum = {
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": base64.b64encode(sha256).decode("ascii"),
            }
        await _call(
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=_as_file(body),
                ContentType=content_type,
                **checksum,
                **self._encryption,
            )
        )

    async def _start_upload(self, key: str, content_type: str) -> str:
        created = await _call(
            self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, **self._encryption
            )
        )
        return created["UploadId"]

    async def _upload_part(
        self,
        key: str,
        upload_id: str,
        number: int,
        head: io.BytesIO,
        spool: IO[bytes] | None = None,
    ) -> CompletedPartTypeDef:
        """Upload the head (and the spool) as one part; no reference to them is kept."""
        body = _Body(head, await _flushed(spool) if spool is not None else None)
        uploaded = await _call(
            self._client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=_as_file(body),
            )
        )
        return {"ETag": uploaded["ETag"], "PartNumber": number}

    async def _abort(self, key: str, upload_id: str) -> None:
        try:
            await self._client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            )
        except _FAILURES as exc:
            # Parts left behind are not an object; a bucket lifecycle rule clears them.
            log.warning("multipart_abort_failed", key=key, error=str(exc))

    async def delete(self, *, key: str) -> None:
        await _call(self._client.delete_object(Bucket=self.bucket, Key=key))

    async def head(self, *, key: str) -> ObjectInfo | None:
        try:
            found = await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise StorageUnavailableError(f"S3: {_code(exc)}") from exc
        except (BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise StorageUnavailableError(f"S3: {exc}") from exc
        return ObjectInfo(key, found["ContentLength"], found["LastModified"].astimezone(UTC))

    async def link(self, *, key: str, filename: str, expires_in: timedelta) -> str:
        return await self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
            },
            ExpiresIn=check_ttl(expires_in),
        )

    async def scan(self, *, prefix: str) -> AsyncIterator[ObjectInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        try:
            async for page in pages:
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        item["Key"], item["Size"], item["LastModified"].astimezone(UTC)
                    )
        except _FAILURES as exc:
            raise StorageUnavailableError(f"S3: {exc}") from exc

    async def ready(self) -> None:
        await _call(self._client.head_bucket(Bucket=self.bucket))


async def _body(head: io.BytesIO, spool: IO[bytes] | None) -> bytes | _Body:
    """A single put's body: the bytes themselves when they all fit in the head (sent in one
    write), else the head and what waited on disk as one `_Body`."""
    if spool is None:
        return head.getvalue()  # The buffer's own bytes: no copy.
    return _Body(head, await _flushed(spool))


def _as_file(body: bytes | _Body | _Piped) -> bytes | IO[bytes]:
    """The body as botocore's types name it: it reads any object that has a length, reads
    and seeks, as `_Body` and `_Piped` do."""
    return cast("bytes | IO[bytes]", body)


class _Abort(enum.Enum):
    """Fed to a piped body instead of a chunk: the upload is abandoned."""

    ABORT = "the upload is abandoned"


class _AbortedError(Exception):
    """Raised into a piped request's body to end the request (the upload was abandoned)."""


class _Piped:
    """A PutObject body of a declared length, fed a chunk at a time by the uploading task.

    aiohttp iterates it as it sends; botocore takes it for a file of that length that cannot be
    rewound once read, so a send that failed part-way is not retried. Only the uploading task
    reads the stream, so a failure of the stream is raised there, as itself.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._queue: asyncio.Queue[bytes | _Abort] = asyncio.Queue(maxsize=1)
        self._given = 0
        self.started = False
        """A chunk was handed to the connection: the store may have begun keeping something."""
        self.complete = False
        """Every declared byte was handed to the connection: the request can no longer be cut
        short (closing a connection sends what it holds), so the store may keep the object."""

    def __len__(self) -> int:
        return self._size

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.started or (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("a piped body cannot be read again")
        return 0

    def read(self, size: int | None = -1) -> bytes:
        raise io.UnsupportedOperation("a piped body is sent as it is fed, not read")

    async def feed(self, item: bytes | _Abort) -> None:
        await self._queue.put(item)

    def drain(self) -> None:
        """Drop what waits to be sent, so that a feed waiting for room returns."""
        while not self._queue.empty():
            self._queue.get_nowait()

    def abort(self) -> None:
        self.drain()
        self._queue.put_nowait(_Abort.ABORT)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Ends by itself after the declared length, so the store can answer before the
        # uploading task has even seen its stream end.
        while self._given < self._size:
            item = await self._queue.get()
            if item is _Abort.ABORT:
                raise _AbortedError
            self._given += len(item)
            self.started = True
            self.complete = self._given >= self._size
            yield item


class _StreamedUpload:
    """One PutObject whose body is the stream as it is read: each chunk is hashed and handed
    to the request while the next one arrives. `send` returns once the stream is read and
    hashed; the store's answer is awaited when the upload's block is left.

    Chunks are hashed on the event loop (~0.16 ms for the bot's 256 KiB): handing each to a
    worker thread, as `StreamDigest` does for uploads that also write to disk, made uploads of
    1-20 MiB 5-10% slower here (python -m bench.files), one upload or four at once."""

    def __init__(self, storage: S3Storage, key: str, content_type: str, size: int) -> None:
        self._storage = storage
        self._key = key
        self._content_type = content_type
        self._size = size
        self._body = _Piped(size)
        self._hash = hashlib.sha256()
        self._request: asyncio.Task[None] | None = None

    async def send(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        if self._request is not None:
            raise RuntimeError("an upload sends one stream")
        request = asyncio.create_task(
            self._storage._put_piped(self._key, self._content_type, self._body)
        )
        self._request = request
        # A request that ended early reads no more: what waits for room is dropped, so the
        # feed below returns and finds the request over.
        request.add_done_callback(lambda _: self._body.drain())
        read = 0
        async for chunk in chunks:
            read += len(chunk)
            if read > self._size:
                raise StorageUnavailableError(f"the stream is longer than {self._size} bytes")
            self._hash.update(chunk)
            await self._body.feed(chunk)
            if request.done() and read < self._size:
                await request  # the store's failure
                raise StorageUnavailableError("the store answered before the object was sent")
        if read != self._size:
            raise StorageUnavailableError(f"the stream ended at {read} of {self._size} bytes")
        return StoredObject(self._size, self._hash.hexdigest())

    async def finish(self) -> None:
        if self._request is not None:
            # Shielded: a caller cancelled here must not cut a request whose body went whole
            # (see `abandon`).
            await asyncio.shield(self._request)

    async def abandon(self) -> None:
        request = self._request
        if request is None:
            return
        if not self._body.complete:
            # Cut short: a store keeps nothing of a body shorter than its declared length.
            self._body.abort()
            request.cancel()
        # A body handed over whole may yet be stored: the store's answer (bounded by the
        # client's read timeout) comes before the delete.
        await asyncio.wait({request})
        if not request.cancelled():
            request.exception()  # seen: the failure that brought us here is already raised
        if self._body.started:
            # The store may have kept what it was sent before the failure or the cancel.
            await delete_quietly(self._storage, [self._key])


class _Body:
    """A buffer in memory and a temporary file, read one after the other as one body without
    being copied together.

    botocore takes it for a file (it has a length, reads and seeks: a part's signature, a
    rewind before a retry); aiohttp sends it as an async iterable: memory as it is, the file
    READ_SIZE at a time in a worker thread (aiohttp would read a file 64 KiB per thread hop).
    The file is read at an offset (pread), and the position moves only on the event loop, so a
    read left running by an interrupted send cannot move a retry's position.
    """

    def __init__(self, head: io.BytesIO, spool: _Spooled | None = None) -> None:
        self._head = head.getbuffer()
        self._spool = spool
        self._size = len(self._head) + (spool.size if spool is not None else 0)
        self._position = 0

    def __len__(self) -> int:
        return self._size

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = min(max(0, base + offset), self._size)
        return self._position

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._position < self._size:
            start = self._position
            if start < len(self._head):
                piece = bytes(self._head[start : start + READ_SIZE])
            else:
                piece = await asyncio.to_thread(self._from_disk, start, READ_SIZE)
            self._position = start + len(piece)
            yield piece

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes from the position on (all that is left when `size` is None or
        negative)."""
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        pieces = []
        while self._position < end:
            start = self._position
            if start < len(self._head):
                piece = bytes(self._head[start : min(end, len(self._head))])
            else:
                piece = self._from_disk(start, end - start)
            self._position = start + len(piece)
            pieces.append(piece)
        return b"".join(pieces)

    def _from_disk(self, position: int, size: int) -> bytes:
        assert self._spool is not None
        offset = position - len(self._head)
        piece = os.pread(self._spool.fd, min(size, self._spool.size - offset), offset)
        if not piece:
            raise StorageUnavailableError("temporary file: shorter than written")
        return piece


@dataclass(frozen=True)
class _Spooled:
    """A temporary file whose writes are flushed: its descriptor and size."""

    fd: int
    size: int


async def _flushed(spool: IO[bytes]) -> _Spooled:
    def flush() -> _Spooled:
        spool.flush()
        return _Spooled(spool.fileno(), os.fstat(spool.fileno()).st_size)

    try:
        return await asyncio.to_thread(flush)
    except OSError as exc:
        raise StorageUnavailableError(f"temporary file: {exc}") from exc


def _at_most(chunk: bytes, size: int) -> Iterator[bytes]:
    """The chunk, in pieces of at most `size` bytes (itself when it is not larger)."""
    if len(chunk) <= size:
        yield chunk
        return
    for start in range(0, len(chunk), size):
        yield chunk[start : start + size]


async def _new_spool() -> IO[bytes]:
    """A temporary file (deleted when closed) for what a single put holds past its head."""
    try:
        return await asyncio.to_thread(tempfile.TemporaryFile)
    except OSError as exc:
        raise StorageUnavailableError(f"temporary file: {exc}") from exc


async def _closed(spool: IO[bytes] | None) -> None:
    """Close (and so delete) the temporary file, if any."""
    if spool is not None:
        await asyncio.to_thread(spool.close)


def _sign_checksum_not_payload(request: AWSRequest, *, unsigned: Config, **_: Any) -> None:
    """Let a PutObject that carries its sha256 (x-amz-checksum-sha256, a header the signature
    covers, which the store checks the body against) be signed without a hash of its body
    (UNSIGNED-PAYLOAD): botocore would read the whole body again to compute the same sha256.
    A streamed body cannot be read ahead at all. `unsigned` is the client's config with payload
    signing off."""
    if "x-amz-checksum-sha256" in request.headers or isinstance(request.body, _Piped):
        request.context["client_config"] = unsigned


def _without_payload_signing(config: Config) -> Config:
    s3 = cast("_S3Dict", getattr(config, "s3", None) or {})
    return config.merge(Config(s3={**s3, "payload_signing_enabled": False}))


async def _call(request: Awaitable[T]) -> T:
    """Await one S3 request; any failure to get an answer is StorageUnavailableError."""
    try:
        return await request
    except _FAILURES as exc:
        raise StorageUnavailableError(f"S3: {exc}") from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
