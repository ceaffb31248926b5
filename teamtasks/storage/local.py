"""The embedded store: objects as files under DATA_DIR/files, links signed for `teamtasks web`.

An object is written to DATA_DIR/files/.incoming first and moved into place when complete, so a
key never names half a file. A link is `{web}/files/{key}?expires=..&filename=..&sig=..`, the
signature an HMAC-SHA256 over the key, the expiry and the file name with FILE_LINK_SECRET;
`teamtasks web` checks it (teamtasks/web/routes/files.py) before it serves the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, ParamSpec, TypeVar
from urllib.parse import quote, urlencode

from teamtasks.config import Settings
from teamtasks.development_secrets import development_secret
from teamtasks.models.base import utcnow
from teamtasks.storage.base import ObjectInfo, StorageUnavailableError, StoredObject, check_ttl
from teamtasks.storage.digest import StreamDigest
from teamtasks.storage.uploads import StoredWhenSent, Upload, upload_block

P = ParamSpec("P")
T = TypeVar("T")

KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
"""Keys the local store accepts: relative, no empty or hidden parts, hence no `..`."""
KEY_MAX = 512
INCOMING = ".incoming"
SECRET_FILE = "file-link.secret"


@dataclass(frozen=True)
class _Entry:
    name: str
    is_dir: bool
    size: int
    modified_at: datetime

    @property
    def order(self) -> str:
        # Directories sort as their keys do: "a/..." after "a.txt" ("/" > ".").
        return self.name + "/" if self.is_dir else self.name


class LocalStorage:
    """Files under `root`; `clock` dates the links (tests pass a fixed one)."""

    def __init__(
        self,
        *,
        root: Path,
        secret: bytes,
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.root = root
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalStorage:
        """The store under DATA_DIR/files, its links signed with FILE_LINK_SECRET.

        Without FILE_LINK_SECRET (allowed outside production) a random secret is kept in
        DATA_DIR, so every process of one installation signs and checks links alike.
        """
        if settings.file_link_secret is not None:
            secret = settings.file_link_secret.get_secret_value().encode()
        else:
            secret = development_secret(settings.data_dir / SECRET_FILE)
        root = settings.data_dir / "files"
        (root / INCOMING).mkdir(parents=True, exist_ok=True)
        return cls(root=root, secret=secret, base_url=settings.web_url)

    def path_of(self, key: str) -> Path:
        """The file that holds `key`; ValueError for a key this store never makes."""
        if len(key) > KEY_MAX or not KEY_RE.match(key):
            raise ValueError(f"not a storage key: {key[:80]!r}")
        return self.root / key

    async def put(
        self, *, key: str, chunks: AsyncIterable[bytes], content_type: str, size: int | None = None
    ) -> StoredObject:
        """The stream written to a temporary file as it arrives, then moved into place."""
        path = self.path_of(key)
        temporary = self.root / INCOMING / f"{uuid.uuid4().hex}.part"
        handle = await _io(_open_new, temporary)
        digest = StreamDigest(sink=handle)
        moving: asyncio.Task[None] | None = None
        written = 0
        try:
            async for chunk in chunks:
                await digest.update(chunk)
                written += len(chunk)
            if size is not None and written != size:
                raise StorageUnavailableError(f"the stream was {written} bytes, not {size}")
            sha256 = await digest.digest()
            await _io(handle.close)
            moving = asyncio.create_task(_io(_move_into_place, temporary, path))
            await asyncio.shield(moving)
        except BaseException:

            async def clean_up() -> None:
                await digest.abandon()
                await asyncio.to_thread(_discard, handle, temporary)
                if moving is not None:
                    # Cancelled while moving: once the move is over, nothing may be in place.
                    await asyncio.wait({moving})
                    await asyncio.to_thread(path.unlink, missing_ok=True)

            await asyncio.shield(clean_up())
            raise
        return StoredObject(written, sha256.hex())

    def upload(
        self, *, key: str, content_type: str, size: int | None = None
    ) -> AbstractAsyncContextManager[Upload]:
        return upload_block(
            StoredWhenSent(
                self,
                key,
                lambda chunks: self.put(
                    key=key, chunks=chunks, content_type=content_type, size=size
                ),
            )
        )

    async def delete(self, *, key: str) -> None:
        await _io(self.path_of(key).unlink, missing_ok=True)

    async def head(self, *, key: str) -> ObjectInfo | None:
        try:
            stat = await asyncio.to_thread(self.path_of(key).stat)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageUnavailableError(f"local store: {exc.strerror}") from exc
        return ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    async def link(self, *, key: str, filename: str, expires_in: timedelta) -> str:
        self.path_of(key)
        expires = int(self._clock().timestamp()) + check_ttl(expires_in)
        query = urlencode(
            {"expires": expires, "filename": filename, "sig": self.sign(key, expires, filename)}
        )
        return f"{self._base_url}/files/{quote(key)}?{query}"

    def sign(self, key: str, expires: int, filename: str) -> str:
        message = f"{key}\n{expires}\n{filename}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def verify(self, *, key: str, expires: int, filename: str, sig: str, now: datetime) -> bool:
        """Whether a link's signature is ours and it has not expired at `now`."""
        expected = self.sign(key, expires, filename)
        return hmac.compare_digest(expected.encode(), sig.encode()) and now.timestamp() <= expires

    async def scan(self, *, prefix: str) -> AsyncIterator[ObjectInfo]:
        async for info in self._walk("", prefix):
            yield info

    async def _walk(self, folder: str, prefix: str) -> AsyncIterator[ObjectInfo]:
        entries = await _io(_list, self.root / folder)
        for entry in sorted(entries, key=lambda item: item.order):
            key = folder + entry.name
            if entry.name.startswith("."):
                continue
            if entry.is_dir:
                inner = key + "/"
                if inner.startswith(prefix) or prefix.startswith(inner):
                    async for info in self._walk(inner, prefix):
                        yield info
            elif key.startswith(prefix):
                yield ObjectInfo(key, entry.size, entry.modified_at)

    async def ready(self) -> None:
        writable = await asyncio.to_thread(os.access, self.root / INCOMING, os.W_OK)
        if not writable:
            raise StorageUnavailableError(f"local store: cannot write to {self.root / INCOMING}")


async def _io(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking file work in a thread; an OSError means the store is unusable."""
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except OSError as exc:
        raise StorageUnavailableError(f"local store: {exc.strerror or exc}") from exc


def _open_new(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb")


def _move_into_place(temporary: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, path)


def _discard(handle: IO[bytes], temporary: Path) -> None:
    handle.close()
    temporary.unlink(missing_ok=True)


def _list(folder: Path) -> list[_Entry]:
    entries = []
    try:
        scanned = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for item in scanned:
        stat = item.stat()
        modified_at = datetime.fromtimestamp(stat.st_mtime, UTC)
        entries.append(_Entry(item.name, item.is_dir(), stat.st_size, modified_at))
    return entries
