"""The local store: files under DATA_DIR, and its signed links served by `teamtasks web`.

The links' expiry is tested with the store's clock set back (a link made two hours ago has
expired), so no test waits; tampering with any signed part of a link gets 403.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from teamtasks.config import Settings
from teamtasks.models.base import utcnow
from teamtasks.storage import (
    StorageUnavailableError,
    StoredObject,
    content_disposition,
    open_storage,
)
from teamtasks.storage.local import LocalStorage
from teamtasks.web.app import create_app
from tests.storage.fixtures import LINK_SECRET, LocalWeb
from tests.storage.servers import S3Server, new_bucket
from tests.support.web import serve

KEY = "company_1/task_2/0123456789abcdef0123456789abcdef.pdf"
BODY = b"%PDF-1.7\n" + bytes(range(256)) * 40


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def storage_at(root: Path, **overrides: object) -> LocalStorage:
    values: dict[str, object] = {
        "root": root,
        "secret": b"s" * 32,
        "base_url": "http://files.test",
        **overrides,
    }
    return LocalStorage(**values)  # type: ignore[arg-type]


async def test_an_object_is_stored_listed_and_deleted(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)
    stored = await storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    assert stored == StoredObject(len(BODY), hashlib.sha256(BODY).hexdigest())
    assert (tmp_path / KEY).read_bytes() == BODY
    info = await storage.head(key=KEY)
    assert info is not None
    assert (info.key, info.size) == (KEY, len(BODY))
    assert abs(info.modified_at - utcnow()) < timedelta(minutes=1)
    await storage.delete(key=KEY)
    assert await storage.head(key=KEY) is None
    await storage.delete(key=KEY)


async def test_keys_are_listed_in_key_order_under_a_prefix(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)
    keys = ["a/b.txt", "a.txt", "a/a/z.txt", "ab/c.txt", "b.txt"]
    for key in keys:
        await storage.put(key=key, chunks=chunks(b"x"), content_type="text/plain")
    (tmp_path / ".incoming" / "partial.part").write_bytes(b"half")
    assert [info.key async for info in storage.scan(prefix="")] == sorted(keys)
    assert [info.key async for info in storage.scan(prefix="a/")] == ["a/a/z.txt", "a/b.txt"]
    assert [info.key async for info in storage.scan(prefix="a")] == sorted(keys)[:-1]
    assert [info.key async for info in storage.scan(prefix="zzz/")] == []


async def test_a_stream_that_fails_leaves_no_file_behind(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)

    async def failing() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7 first part"
        raise ConnectionResetError("the download broke")

    with pytest.raises(ConnectionResetError):
        await storage.put(key=KEY, chunks=failing(), content_type="application/pdf")
    assert await storage.head(key=KEY) is None
    assert list((tmp_path / ".incoming").iterdir()) == []


async def test_an_unusable_store_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_bytes(b"")
    storage = storage_at(tmp_path / "not-a-folder")
    with pytest.raises(StorageUnavailableError):
        await storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    with pytest.raises(StorageUnavailableError):
        await storage.ready()


@pytest.mark.parametrize("key", ["../secret.txt", "/etc/passwd", "a//b.txt", ".hidden/x", ""])
async def test_keys_outside_the_store_are_refused(tmp_path: Path, key: str) -> None:
    storage = storage_at(tmp_path)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.path_of(key)
    with pytest.raises(ValueError, match="not a storage key"):
        await storage.link(key=key, filename="x.txt", expires_in=timedelta(minutes=1))


async def test_a_link_lives_at_most_an_hour(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)
    with pytest.raises(ValueError, match="1 s to 1:00:00"):
        await storage.link(key=KEY, filename="a.pdf", expires_in=timedelta(hours=1, seconds=1))
    with pytest.raises(ValueError, match="1 s to 1:00:00"):
        await storage.link(key=KEY, filename="a.pdf", expires_in=timedelta(0))


def test_a_signature_is_checked_up_to_the_second_it_expires(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)
    expires = 1_800_000_000
    sig = storage.sign(KEY, expires, "a.pdf")
    at = datetime.fromtimestamp(expires, UTC)
    assert storage.verify(key=KEY, expires=expires, filename="a.pdf", sig=sig, now=at)
    late = at + timedelta(seconds=1)
    assert not storage.verify(key=KEY, expires=expires, filename="a.pdf", sig=sig, now=late)
    other = storage_at(tmp_path, secret=b"o" * 32)
    assert not other.verify(key=KEY, expires=expires, filename="a.pdf", sig=sig, now=at)


async def test_a_link_downloads_the_file_under_its_name(local_web: LocalWeb) -> None:
    storage = local_web.storage
    await storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    url = await storage.link(key=KEY, filename="Отчёт за май.pdf", expires_in=timedelta(hours=1))
    assert url.startswith(f"{local_web.base_url}/files/{KEY}?expires=")
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    assert answer.content == BODY
    assert answer.headers["content-disposition"] == content_disposition("Отчёт за май.pdf")
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_an_expired_link_is_refused(local_web: LocalWeb) -> None:
    await local_web.storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    made_two_hours_ago = LocalStorage(
        root=local_web.storage.root,
        secret=LINK_SECRET.encode(),
        base_url=local_web.base_url,
        clock=lambda: utcnow() - timedelta(hours=2),
    )
    hour, seconds = timedelta(hours=1), timedelta(seconds=30)
    expired = await made_two_hours_ago.link(key=KEY, filename="a.pdf", expires_in=hour)
    fresh = await local_web.storage.link(key=KEY, filename="a.pdf", expires_in=seconds)
    async with httpx.AsyncClient() as client:
        assert (await client.get(expired)).status_code == 403
        assert (await client.get(fresh)).status_code == 200


def _tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    path = changes.pop("path", parts.path)
    query.update(changes)
    return f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}"


@pytest.mark.parametrize(
    "changes",
    [
        {"path": "/files/company_1/task_2/ffffffffffffffffffffffffffffffff.pdf"},
        {"path": "/files/company_1/task_2/..%2F..%2Ffile-link.secret"},
        {"filename": "other.pdf"},
        {"expires": "4102444800"},
        {"sig": "0" * 64},
        {"sig": ""},
    ],
)
async def test_a_tampered_link_is_refused(local_web: LocalWeb, changes: dict[str, str]) -> None:
    other = "company_1/task_2/ffffffffffffffffffffffffffffffff.pdf"
    for key in (KEY, other):
        await local_web.storage.put(key=key, chunks=chunks(BODY), content_type="application/pdf")
    url = await local_web.storage.link(key=KEY, filename="a.pdf", expires_in=timedelta(hours=1))
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 200
        assert (await client.get(_tampered(url, **changes))).status_code == 403
        assert (await client.get(url.split("?")[0])).status_code == 403


async def test_a_valid_link_to_a_deleted_file_is_not_found(local_web: LocalWeb) -> None:
    await local_web.storage.put(key=KEY, chunks=chunks(BODY), content_type="application/pdf")
    url = await local_web.storage.link(key=KEY, filename="a.pdf", expires_in=timedelta(hours=1))
    await local_web.storage.delete(key=KEY)
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 404


async def test_no_local_files_are_served_when_s3_is_configured(
    database_url: str, tmp_path: Path, moto: S3Server
) -> None:
    settings = moto.settings(new_bucket(), database_url=database_url, data_dir=tmp_path)
    (tmp_path / "files" / KEY).parent.mkdir(parents=True)
    (tmp_path / "files" / KEY).write_bytes(BODY)
    async with serve(create_app(settings)) as base_url, httpx.AsyncClient() as client:
        answer = await client.get(f"{base_url}/files/{KEY}?expires=1&filename=a.pdf&sig=00")
    assert answer.status_code == 404


async def test_without_a_configured_secret_one_is_kept_for_every_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_web_url="http://files.test")
    async with open_storage(settings) as first, open_storage(settings) as second:
        assert isinstance(first, LocalStorage)
        assert isinstance(second, LocalStorage)
        link = await first.link(key=KEY, filename="a.pdf", expires_in=timedelta(minutes=5))
    query = parse_qs(urlsplit(link).query)
    expires, sig = int(query["expires"][0]), query["sig"][0]
    assert second.verify(key=KEY, expires=expires, filename="a.pdf", sig=sig, now=utcnow())
    secret_file = tmp_path / "file-link.secret"
    assert len(secret_file.read_bytes()) >= 32
    assert os.stat(secret_file).st_mode & 0o077 == 0


async def test_readiness_names_the_store_when_it_cannot_be_written(local_web: LocalWeb) -> None:
    async with httpx.AsyncClient(base_url=local_web.base_url) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["storage"] == "ok"
        (local_web.storage.root / ".incoming").rmdir()
        unready = await client.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["checks"] == {
        "database": "ok",
        "storage": "failed: StorageUnavailableError",
    }
