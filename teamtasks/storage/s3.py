"""S3 and S3-compatible stores (AWS, MinIO, ...) through aiobotocore.

An upload holds at most PART_SIZE (and SPILL_SIZE past it) in memory. An object up to
SINGLE_PUT_MAX goes up as one PutObject: its first PART_SIZE kept in memory, the rest waiting in a
temporary file, sent as one body: one request instead of a multipart upload's four or more, whose
merging of parts stores also pay for. A larger object is a multipart upload whose first part is
what was kept (memory and file) and the rest PART_SIZE parts; a failed one is aborted.
The bucket is private (created so when missing and S3_CREATE_BUCKET allows, with public access
blocked where the store supports it); objects are encrypted at rest (SSE-S3) when S3_SSE says the
store supports it. Links are SigV4 presigned GETs naming the file in Content-Disposition.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from datetime import UTC, timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

import aiohttp
import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from teamtasks.config import ConfigError, Settings
from teamtasks.storage.base import (
    ObjectInfo,
    StorageUnavailableError,
    check_ttl,
    content_disposition,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from _typeshed import WriteableBuffer
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

log = structlog.stdlib.get_logger("teamtasks.storage")

T = TypeVar("T")

PART_SIZE = 8 * 1024 * 1024
"""The part size of multipart uploads (S3's minimum is 5 MiB) and what an upload holds in memory
(as its first bytes, or a part) besides SPILL_SIZE."""
SPILL_SIZE = 1024 * 1024
"""What a single put larger than PART_SIZE collects past it before writing it to disk."""
SINGLE_PUT_MAX = 64 * 1024 * 1024
"""Objects up to this size (and the rest of a part past it) go up in one request; larger ones
in parts."""
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
        self._single_put_max = single_put_max

    async def prepare(self, *, create: bool, region: str) -> None:
        """Check the bucket at start-up; create it (private) when missing and `create` allows.

        ConfigError, naming the setting to fix, when the store cannot be used.
        """
        try:
            await self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                message = f"STORAGE_URL: the store refused bucket {self.bucket}: {_code(exc)}"
                raise ConfigError(message) from None
        except (BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise ConfigError(f"S3_ENDPOINT_URL: cannot reach the store: {exc}") from None
        if not create:
            raise ConfigError(
                f"STORAGE_URL: bucket {self.bucket} does not exist; create it (private) or set "
                "S3_CREATE_BUCKET=true"
            )
        await self._create_bucket(region)

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

    async def put(self, *, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        # Buffers are sent as they are: BytesIO (bytes or a bytearray would be copied into one).
        buffer = io.BytesIO()
        kept: io.BytesIO | None = None
        spool: io.BufferedRandom | None = None
        parts: list[CompletedPartTypeDef] = []
        upload_id: str | None = None
        size = 0
        try:
            async for chunk in chunks:
                buffer.write(chunk)
                size += len(chunk)
                if buffer.tell() < (self._part_size if kept is None else SPILL_SIZE):
                    continue
                if upload_id is None and size <= self._single_put_max:
                    if kept is None:
                        kept = buffer
                    else:
                        spool = await _spill(spool, buffer)
                else:
                    if upload_id is None:
                        upload_id = await self._start_upload(key, content_type)
                    # What a single put kept so far, if anything, goes up with it as the part.
                    parts.append(
                        await self._upload_part(
                            key, upload_id, len(parts) + 1, _joined(kept, spool, buffer)
                        )
                    )
                    if spool is not None:
                        await asyncio.to_thread(spool.close)
                    kept = spool = None
                buffer = io.BytesIO()
            if upload_id is None:
                body = _joined(kept, spool, buffer)
                body.seek(0)
                await _call(
                    self._client.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        ContentType=content_type,
                        **self._encryption,
                    )
                )
                return size
            if buffer.tell():
                parts.append(await self._upload_part(key, upload_id, len(parts) + 1, buffer))
            await _call(
                self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            )
        except BaseException:
            if upload_id is not None:
                await asyncio.shield(self._abort(key, upload_id))
            raise
        finally:
            if spool is not None:
                await asyncio.to_thread(spool.close)
        return size

    async def _start_upload(self, key: str, content_type: str) -> str:
        created = await _call(
            self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, **self._encryption
            )
        )
        return created["UploadId"]

    async def _upload_part(
        self, key: str, upload_id: str, number: int, body: IO[bytes]
    ) -> CompletedPartTypeDef:
        body.seek(0)
        uploaded = await _call(
            self._client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
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


def _joined(*streams: io.BytesIO | io.BufferedRandom | None) -> IO[bytes]:
    """The streams given, read one after the other as one (the only one as it is)."""
    present = [stream for stream in streams if stream is not None]
    if len(present) == 1:
        return present[0]
    return io.BufferedReader(_Joined(*present))


class _Joined(io.RawIOBase):
    """Seekable streams read one after the other as one (a single put's body: the part kept in
    memory, what waited on disk, the rest in memory), without copying them together."""

    def __init__(self, *streams: io.BytesIO | io.BufferedRandom) -> None:
        super().__init__()
        self._streams = [(stream, stream.seek(0, io.SEEK_END)) for stream in streams]
        self._size = sum(size for _, size in self._streams)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, target: WriteableBuffer) -> int:
        """Read from the stream the position is in (a short read at its end, as raw reads may)."""
        start = 0
        for stream, size in self._streams:
            if self._position < start + size:
                stream.seek(self._position - start)
                with memoryview(target) as view:
                    read = stream.readinto(view[: start + size - self._position])
                self._position += read
                return read
            start += size
        return 0


async def _spill(spool: io.BufferedRandom | None, buffer: io.BytesIO) -> io.BufferedRandom:
    """Append the buffer to the temporary file (made on first use, deleted when closed)."""

    def write() -> io.BufferedRandom:
        target = spool if spool is not None else tempfile.TemporaryFile()  # noqa: SIM115
        target.write(buffer.getbuffer())
        return target

    try:
        return await asyncio.to_thread(write)
    except OSError as exc:
        raise StorageUnavailableError(f"temporary file: {exc}") from exc


async def _call(request: Awaitable[T]) -> T:
    """Await one S3 request; any failure to get an answer is StorageUnavailableError."""
    try:
        return await request
    except _FAILURES as exc:
        raise StorageUnavailableError(f"S3: {exc}") from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
