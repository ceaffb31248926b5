"""The one interface every object store implements, and what the adapters share.

Keys are opaque to the stores; the services build them (`company_{id}/task_{id}/{uuid}.{ext}`).
A store streams an object in with bounded memory, deletes it (deleting a missing key is not an
error), tells whether a key exists, lists keys under a prefix in key order, hands out download
links that expire and name the file, and answers a readiness check. Any failure to reach the
store, or a refusal by it, is `StorageUnavailableError`, so callers have one thing to catch.
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from teamtasks.storage.uploads import Upload

MAX_LINK_TTL = timedelta(hours=1)
"""No download link lives longer than this."""


class StorageUnavailableError(Exception):
    """The store could not be reached or refused the request; nothing usable was stored."""


@dataclass(frozen=True)
class ObjectInfo:
    """A stored object: its key, size in bytes and when it was last written (aware UTC)."""

    key: str
    size: int
    modified_at: datetime


@dataclass(frozen=True)
class StoredObject:
    """What a put stored: its size in bytes and the sha256 of its bytes (hex)."""

    size: int
    sha256: str


class ObjectStorage(Protocol):
    """An object store: local directory or S3-compatible (see teamtasks/storage/factory.py)."""

    async def put(
        self, *, key: str, chunks: AsyncIterable[bytes], content_type: str, size: int | None = None
    ) -> StoredObject:
        """Store the stream under `key`; its size and sha256; nothing is stored if it fails.

        `size`, when known in advance, lets a store send the stream on as it arrives; a stream
        of another length then fails. An exception raised by `chunks` itself (a refused
        content, a failed download) passes through unchanged; the store's own failures (and a
        length other than `size`) are StorageUnavailableError.
        """
        ...

    def upload(
        self, *, key: str, content_type: str, size: int | None = None
    ) -> AbstractAsyncContextManager[Upload]:
        """`put` as a block (teamtasks/storage/uploads.py): `send` the stream in it, then do
        what goes with the object while the store may still be taking it in; the object is
        stored when the block is left without an error, and nothing is when it is left with
        one."""
        ...

    async def delete(self, *, key: str) -> None:
        """Remove the object; a key that does not exist is not an error."""
        ...

    async def head(self, *, key: str) -> ObjectInfo | None:
        """The object's size and time, or None when there is no such object."""
        ...

    async def link(self, *, key: str, filename: str, expires_in: timedelta) -> str:
        """A GET URL that works for `expires_in` (at most MAX_LINK_TTL) and names the file."""
        ...

    def scan(self, *, prefix: str) -> AsyncIterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order."""
        ...

    async def ready(self) -> None:
        """Return when the store answers; StorageUnavailableError otherwise."""
        ...


def check_ttl(expires_in: timedelta) -> int:
    """The link's lifetime in whole seconds; ValueError outside 1 second to MAX_LINK_TTL."""
    seconds = int(expires_in.total_seconds())
    if not 1 <= seconds <= MAX_LINK_TTL.total_seconds():
        raise ValueError(f"a download link lives 1 s to {MAX_LINK_TTL}, not {expires_in}")
    return seconds


def content_disposition(filename: str) -> str:
    """`attachment` with the file's name: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(char if char.isalnum() or char in "._- " else "_" for char in ascii_name)
    fallback = fallback.strip(" ") or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
