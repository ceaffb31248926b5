"""Files on tasks: attach, list, link, delete, usage and sweep, on real stores over HTTP.

Most tests run on both the local store and moto's S3 server (`storage`); the ones about links
expiring run where a server checks them (tests/storage), the ones that stop the store or
measure memory on s3rver, a process of its own. "Nothing stored" is checked by listing the
store, "nothing recorded" by reading the tables.
"""

from __future__ import annotations

import hashlib
import os
import re
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.config import MIB, TELEGRAM_DOWNLOAD_LIMIT
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, Company, File, Plan, Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, SubscriptionStatus
from teamtasks.services import files, plans
from teamtasks.services.actors import Actor
from teamtasks.services.errors import DomainError, Forbidden, NotFound, OutOfGoodStanding
from teamtasks.services.files import (
    ContentMismatch,
    DownloadFailed,
    FileEmpty,
    FileTooBig,
    FileTypeNotAllowed,
    QuotaFull,
    StorageUnavailable,
)
from teamtasks.storage import ObjectStorage, content_disposition, staged_objects
from teamtasks.storage.local import LocalStorage
from teamtasks.storage.s3 import PART_SIZE, SINGLE_PUT_MAX, S3Storage, s3_client
from tests.services.helpers import Team, actor_of, build_team
from tests.storage import fixtures
from tests.storage.fixtures import LocalWeb
from tests.storage.servers import (
    S3rverProcess,
    S3Server,
    new_bucket,
    s3_error,
    s3_proxy,
    s3_storage,
    start_s3rver,
    stop_s3rver,
)
from tests.support.web import free_port

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(3000) + b"\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(3000)
BLOCK = os.urandom(64 * 1024)
KEY_RE = re.compile(r"^company_(\d+)/task_(\d+)/[0-9a-f]{32}\.pdf$")

# The storage tests' server fixtures, by name.
local_web = fixtures.local_web
moto = fixtures.moto
s3rver_process = fixtures.s3rver_process


@pytest.fixture(params=["local", "moto"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, moto: S3Server
) -> AsyncIterator[ObjectStorage]:
    """The local store under tmp_path, or the S3 adapter on a fresh bucket of moto's server."""
    if request.param == "local":
        yield LocalStorage(root=tmp_path, secret=b"k" * 32, base_url="http://files.test")
        return
    async with s3_storage(moto) as s3:
        yield s3


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def pdf_stream(size: int) -> AsyncIterator[bytes]:
    """A PDF of `size` bytes, produced as a download arrives: never in memory whole."""
    yield b"%PDF-1.7\n"
    sent = 9
    while sent < size:
        chunk = BLOCK[: min(len(BLOCK), size - sent)]
        sent += len(chunk)
        yield chunk


class Untouched:
    """A download that records whether anyone started reading it."""

    def __init__(self) -> None:
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        yield PDF


async def attach(
    session: AsyncSession,
    storage: ObjectStorage,
    actor: Actor,
    number: int,
    *,
    name: str = "report.pdf",
    data: bytes = PDF,
) -> File:
    async with staged_objects(storage) as staged:
        return await files.attach_file(
            session,
            staged=staged,
            actor=actor,
            number=number,
            file_name=name,
            size=len(data),
            chunks=chunks(data),
            max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            telegram_file_id="BQACAgIAAxkBAAI",
        )


async def stored_keys(storage: ObjectStorage) -> list[str]:
    return [info.key async for info in storage.scan(prefix="company_")]


async def file_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(File)) or 0


async def used_bytes(session: AsyncSession, company_id: int) -> int:
    return (
        await session.scalar(select(Company.storage_used_bytes).where(Company.id == company_id))
        or 0
    )


async def trial_quota(session: AsyncSession) -> int:
    """The storage quota of a trial: the Team plan's."""
    return (await plans.get_plan(session, code="team")).max_storage_bytes


async def test_a_file_is_stored_then_recorded(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    actor, task = acme.member_actor, acme.task
    file = await attach(session, storage, actor, task.number, name="C:\\docs\\Отчёт\u202e.pdf")
    match = KEY_RE.match(file.storage_key)
    assert match is not None
    assert (int(match[1]), int(match[2])) == (acme.company.id, task.id)
    assert (file.company_id, file.task_id, file.uploaded_by_id) == (
        acme.company.id,
        task.id,
        acme.member.id,
    )
    assert file.original_name == "Отчёт.pdf"
    assert (file.content_type, file.size_bytes) == ("application/pdf", len(PDF))
    assert file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert file.telegram_file_id == "BQACAgIAAxkBAAI"
    head = await storage.head(key=file.storage_key)
    assert head is not None
    assert head.size == len(PDF)
    assert await used_bytes(session, acme.company.id) == len(PDF)
    usage = await files.storage_used(session, actor=actor)
    assert (usage.used_bytes, usage.quota_bytes) == (len(PDF), await trial_quota(session))
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "file.attached"))
    assert log is not None
    assert (log.entity_id, log.details["number"], log.details["size"]) == (
        file.id,
        task.number,
        len(PDF),
    )


async def test_files_of_a_task_are_listed_newest_first(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    number = acme.task.number
    await attach(session, storage, acme.member_actor, number, name="first.pdf")
    await attach(session, storage, acme.owner_actor, number, name="second.pdf")
    page = await files.list_files(session, actor=acme.manager_actor, number=number, limit=1)
    assert [(e.file.original_name, e.uploader_name) for e in page.items] == [("second.pdf", "Anna")]
    assert page.has_more
    rest = await files.list_files(session, actor=acme.manager_actor, number=number, offset=1)
    assert [(e.file.original_name, e.uploader_name) for e in rest.items] == [("first.pdf", "Bob")]


async def test_another_company_can_neither_list_nor_fetch_nor_delete(
    session: AsyncSession, storage: ObjectStorage, acme: Team, globex: Team
) -> None:
    file = await attach(session, storage, acme.member_actor, acme.task.number)
    greg = globex.owner_actor
    with pytest.raises(NotFound):
        await files.list_files(session, actor=greg, number=acme.task.number)
    for attempt in (
        files.get_file(session, actor=greg, file_id=file.id),
        files.download_link(session, storage=storage, actor=greg, file_id=file.id),
    ):
        with pytest.raises(NotFound) as refused:
            await attempt
        assert refused.value.key == "errors.not_found.file"
    async with staged_objects(storage) as staged:
        with pytest.raises(NotFound):
            await files.delete_file(session, staged=staged, actor=greg, file_id=file.id)
    assert await storage.head(key=file.storage_key) is not None
    assert await file_count(session) == 1
    listed = await files.list_files(session, actor=greg, number=globex.task.number)
    assert listed.items == []


async def test_a_member_gets_a_link_that_downloads_the_file(
    session: AsyncSession, local_web: LocalWeb, acme: Team
) -> None:
    file = await attach(session, local_web.storage, acme.member_actor, acme.task.number)
    link = await files.download_link(
        session,
        storage=local_web.storage,
        actor=acme.manager_actor,
        file_id=file.id,
        expires_in=timedelta(days=1),
    )
    assert link.expires_at <= utcnow() + timedelta(hours=1)
    async with httpx.AsyncClient() as client:
        answer = await client.get(link.url)
    assert answer.status_code == 200
    assert answer.content == PDF
    assert answer.headers["content-disposition"] == content_disposition("report.pdf")


@pytest.mark.parametrize("who", ["member_actor", "manager_actor", "owner_actor"])
async def test_the_uploader_a_manager_or_an_owner_deletes_a_file(
    session: AsyncSession, storage: ObjectStorage, acme: Team, who: str
) -> None:
    file = await attach(session, storage, acme.member_actor, acme.task.number)
    async with staged_objects(storage) as staged:
        await files.delete_file(session, staged=staged, actor=getattr(acme, who), file_id=file.id)
        # The object goes only once the unit of work has committed (the block has ended).
        assert await storage.head(key=file.storage_key) is not None
    assert await storage.head(key=file.storage_key) is None
    assert await file_count(session) == 0
    assert await used_bytes(session, acme.company.id) == 0
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "file.deleted"))
    assert log is not None
    assert (log.entity_id, log.details["number"]) == (file.id, acme.task.number)


async def test_another_member_may_not_delete_a_file(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    file = await attach(session, storage, acme.owner_actor, acme.task.number)
    async with staged_objects(storage) as staged:
        with pytest.raises(Forbidden) as refused:
            await files.delete_file(
                session, staged=staged, actor=acme.member_actor, file_id=file.id
            )
    assert refused.value.key == "errors.forbidden.files.delete"
    assert await storage.head(key=file.storage_key) is not None


async def test_a_delete_that_rolls_back_keeps_the_object(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    file = await attach(session, storage, acme.member_actor, acme.task.number)

    async def rolled_back() -> None:
        async with staged_objects(storage) as staged:
            await files.delete_file(session, staged=staged, actor=acme.owner_actor, file_id=file.id)
            raise RuntimeError("the unit of work rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        await rolled_back()
    assert await storage.head(key=file.storage_key) is not None


@pytest.mark.parametrize(
    ("name", "size", "error", "key"),
    [
        ("setup.exe", 100, FileTypeNotAllowed, "errors.files.type_not_allowed"),
        ("archive.zip", 100, FileTypeNotAllowed, "errors.files.type_not_allowed"),
        ("README", 100, FileTypeNotAllowed, "errors.files.type_not_allowed"),
        ("big.pdf", TELEGRAM_DOWNLOAD_LIMIT + 1, FileTooBig, "errors.files.too_big"),
        ("full.pdf", 101, QuotaFull, "errors.files.quota_full"),
    ],
)
async def test_a_bad_file_is_refused_before_it_is_downloaded(
    session: AsyncSession,
    storage: ObjectStorage,
    acme: Team,
    name: str,
    size: int,
    error: type[DomainError],
    key: str,
) -> None:
    quota = await trial_quota(session)
    await session.execute(update(Company).values(storage_used_bytes=quota - 100))
    download = Untouched()
    async with staged_objects(storage) as staged:
        with pytest.raises(error) as refused:
            await files.attach_file(
                session,
                staged=staged,
                actor=acme.member_actor,
                number=acme.task.number,
                file_name=name,
                size=size,
                chunks=download,
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )
    assert refused.value.key == key
    assert not download.started
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0
    for language in Language:
        assert refused.value.text(language)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("invoice.pdf", EXE, ContentMismatch),
        ("photo.jpg", PDF, ContentMismatch),
        ("notes.txt", b"binary \x00\x01\x02", ContentMismatch),
        ("empty.txt", b"", FileEmpty),
    ],
)
async def test_content_that_does_not_match_is_neither_stored_nor_recorded(
    session: AsyncSession,
    storage: ObjectStorage,
    acme: Team,
    name: str,
    data: bytes,
    error: type[DomainError],
) -> None:
    with pytest.raises(error):
        await attach(session, storage, acme.member_actor, acme.task.number, name=name, data=data)
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0
    assert await used_bytes(session, acme.company.id) == 0


async def test_a_file_of_unknown_size_is_stopped_at_the_limit_while_it_streams(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    async with staged_objects(storage) as staged:
        with pytest.raises(FileTooBig) as refused:
            await files.attach_file(
                session,
                staged=staged,
                actor=acme.member_actor,
                number=acme.task.number,
                file_name="unsized.pdf",
                size=None,
                chunks=pdf_stream(3 * MIB),
                max_bytes=2 * MIB,
            )
    assert refused.value.params == {"max": 2}
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0


@pytest.mark.parametrize("sent", [MIB // 2, MIB + 1])
async def test_a_download_of_another_size_than_announced_is_a_failed_download(
    session: AsyncSession, storage: ObjectStorage, acme: Team, sent: int
) -> None:
    """Telegram said 1 MiB; the download brought less or more: not the file that was sent, so
    nothing is kept (the store was told 1 MiB: it must not keep a part or an overrun)."""
    async with staged_objects(storage) as staged:
        with pytest.raises(DownloadFailed):
            await files.attach_file(
                session,
                staged=staged,
                actor=acme.member_actor,
                number=acme.task.number,
                file_name="report.pdf",
                size=MIB,
                chunks=pdf_stream(sent),
                max_bytes=2 * MIB,
            )
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0
    assert await used_bytes(session, acme.company.id) == 0


async def test_the_quota_is_enforced_while_streaming_and_at_the_end(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    company, quota = acme.company.id, await trial_quota(session)
    await session.execute(update(Company).values(storage_used_bytes=quota - len(PDF) + 1))
    with pytest.raises(QuotaFull):
        async with staged_objects(storage) as staged:
            await files.attach_file(
                session,
                staged=staged,
                actor=acme.member_actor,
                number=acme.task.number,
                file_name="unknown-size.pdf",
                size=None,
                chunks=chunks(PDF),
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )
    await session.execute(update(Company).values(storage_used_bytes=0))

    async def taken_meanwhile() -> AsyncIterator[bytes]:
        yield PDF
        # Another upload of the company commits while this one streams.
        await session.execute(
            update(Company).where(Company.id == company).values(storage_used_bytes=quota - 10)
        )

    with pytest.raises(QuotaFull):
        async with staged_objects(storage) as staged:
            await files.attach_file(
                session,
                staged=staged,
                actor=acme.member_actor,
                number=acme.task.number,
                file_name="late.pdf",
                size=len(PDF),
                chunks=taken_meanwhile(),
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0
    assert await used_bytes(session, company) == quota - 10


async def test_the_quota_is_the_plans_and_a_full_one_offers_a_bigger_plan(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    await session.execute(update(Plan).where(Plan.code == "team").values(max_storage_bytes=MIB))
    await session.execute(update(Company).values(storage_used_bytes=MIB - 2 * len(PDF)))
    await attach(session, storage, acme.member_actor, acme.task.number, name="first.pdf")
    await attach(session, storage, acme.member_actor, acme.task.number, name="second.pdf")

    with pytest.raises(QuotaFull) as refused:
        await attach(session, storage, acme.member_actor, acme.task.number, name="third.pdf")

    assert refused.value.params == {"max": 1}
    assert "/buy" in refused.value.text(Language.EN)
    assert "/buy" in refused.value.text(Language.RU)
    assert len(await stored_keys(storage)) == await file_count(session) == 2
    assert await used_bytes(session, acme.company.id) == MIB


async def test_a_company_out_of_good_standing_attaches_nothing(
    session: AsyncSession, storage: ObjectStorage, acme: Team
) -> None:
    ended = utcnow() - timedelta(days=1)
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == acme.company.id)
        .values(
            status=SubscriptionStatus.TRIALING,
            current_period_start=ended - timedelta(days=14),
            current_period_end=ended,
        )
    )
    member = await actor_of(session, acme.member, acme.company)
    download = Untouched()

    async with staged_objects(storage) as staged:
        with pytest.raises(OutOfGoodStanding) as refused:
            await files.attach_file(
                session,
                staged=staged,
                actor=member,
                number=acme.task.number,
                file_name="report.pdf",
                size=len(PDF),
                chunks=download,
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )

    assert "/buy" in refused.value.text(Language.EN)
    assert "/buy" in refused.value.text(Language.RU)
    assert not download.started
    assert await stored_keys(storage) == []
    assert await file_count(session) == 0
    assert await used_bytes(session, acme.company.id) == 0


async def test_an_unreachable_store_records_nothing(committing_factory: SessionFactory) -> None:
    """As the bot runs it, in a unit of work: the refusal rolls back whatever was written."""
    async with unit_of_work(committing_factory) as session:
        team = await build_team(session, name="Acme", names=("Anna", "Mark", "Bob"))
    nowhere = S3Server(f"http://127.0.0.1:{free_port()}", "key", "secret")
    async with s3_client(nowhere.settings(new_bucket()), attempts=1) as client:
        storage = S3Storage(client=client, bucket=new_bucket())
        with pytest.raises(StorageUnavailable) as refused:
            async with unit_of_work(committing_factory) as session:
                await attach(session, storage, team.member_actor, team.task.number)
    assert refused.value.key == "errors.files.storage_unavailable"
    async with unit_of_work(committing_factory) as session:
        assert await file_count(session) == 0
        assert await used_bytes(session, team.company.id) == 0


async def test_the_store_stopped_mid_upload_leaves_no_row_and_no_object(
    session: AsyncSession, acme: Team, tmp_path: Path
) -> None:
    running = await start_s3rver(tmp_path / "s3rver")
    # One attempt per request: the failure is the point here, not how long retries take.
    async with s3_storage(running.server, attempts=1, single_put_max=0) as storage:
        bucket = storage.bucket
        await storage.put(key="canary.txt", chunks=chunks(b"still here"), content_type="text/plain")

        sent = 0

        async def killed_after_the_first_part() -> AsyncIterator[bytes]:
            nonlocal sent
            async for chunk in pdf_stream(3 * PART_SIZE):
                if sent > PART_SIZE and running.process.returncode is None:
                    running.process.kill()
                    await running.process.wait()
                sent += len(chunk)
                yield chunk

        async with staged_objects(storage) as staged:
            with pytest.raises(StorageUnavailable):
                await files.attach_file(
                    session,
                    staged=staged,
                    actor=acme.member_actor,
                    number=acme.task.number,
                    file_name="big.pdf",
                    size=3 * PART_SIZE,
                    chunks=killed_after_the_first_part(),
                    max_bytes=4 * PART_SIZE,
                )
    await stop_s3rver(running)
    assert await file_count(session) == 0
    assert await used_bytes(session, acme.company.id) == 0
    restarted = await start_s3rver(running.directory, port=running.port)
    try:
        async with s3_client(restarted.server.settings(bucket)) as client:
            listed = await client.list_objects_v2(Bucket=bucket)
    finally:
        await stop_s3rver(restarted)
    assert [item["Key"] for item in listed.get("Contents", [])] == ["canary.txt"]


async def test_a_failed_commit_deletes_the_object(
    committing_factory: SessionFactory, storage: ObjectStorage
) -> None:
    async with unit_of_work(committing_factory) as session:
        team = await build_team(session, name="Acme", names=("Anna", "Mark", "Bob"))
    stored: list[bool] = []

    async def commit_fails() -> None:
        async with (
            staged_objects(storage) as staged,
            unit_of_work(committing_factory) as session,
        ):
            file = await files.attach_file(
                session,
                staged=staged,
                actor=team.member_actor,
                number=team.task.number,
                file_name="report.pdf",
                size=len(PDF),
                chunks=chunks(PDF),
                max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
            )
            stored.append(await storage.head(key=file.storage_key) is not None)
            # A row the commit refuses: the unit of work rolls back at its end.
            session.add(
                File(
                    company_id=file.company_id,
                    task_id=file.task_id,
                    storage_key=file.storage_key,
                    original_name="copy.pdf",
                    content_type=file.content_type,
                    size_bytes=file.size_bytes,
                    sha256=file.sha256,
                )
            )

    with pytest.raises(IntegrityError):
        await commit_fails()
    assert stored == [True]
    assert await stored_keys(storage) == []
    async with unit_of_work(committing_factory) as session:
        assert await file_count(session) == 0
        assert await used_bytes(session, team.company.id) == 0


class RecordingFailedError(Exception):
    """What the work done inside an upload's block may raise."""


@pytest.mark.parametrize("size", [len(PDF), None], ids=["declared", "unknown"])
async def test_an_upload_block_left_with_an_error_after_sending_stores_nothing(
    storage: ObjectStorage, size: int | None
) -> None:
    key = "company_1/task_1/0123456789abcdef0123456789abcdef.pdf"
    sent: list[str] = []

    async def send_then_fail() -> None:
        async with storage.upload(key=key, content_type="application/pdf", size=size) as upload:
            sent.append((await upload.send(chunks(PDF))).sha256)
            raise RecordingFailedError

    with pytest.raises(RecordingFailedError):
        await send_then_fail()
    assert sent == [hashlib.sha256(PDF).hexdigest()]
    assert await storage.head(key=key) is None

    async with storage.upload(key=key, content_type="application/pdf", size=size) as upload:
        await upload.send(chunks(PDF))
    head = await storage.head(key=key)
    assert head is not None
    assert head.size == len(PDF)


async def test_a_store_failing_once_it_has_every_byte_records_nothing(
    committing_factory: SessionFactory, moto: S3Server
) -> None:
    """The rows are written while the store takes the last bytes in; when the store then
    fails, they are rolled back with the update and the user is asked to retry."""
    async with unit_of_work(committing_factory) as session:
        team = await build_team(session, name="Acme", names=("Anna", "Mark", "Bob"))
    refused: list[str] = []

    def fail_uploads(request: web.Request, body: bytes) -> web.Response | None:
        if request.method == "PUT" and "/company_" in request.path:
            refused.append(f"{len(body)} bytes")
            return s3_error(500, "InternalError", "We encountered an internal error.")
        return None

    async with s3_proxy(moto, fail_uploads) as proxy, s3_storage(proxy) as storage:
        with pytest.raises(StorageUnavailable):
            async with (
                staged_objects(storage) as staged,
                unit_of_work(committing_factory) as session,
            ):
                await files.attach_file(
                    session,
                    staged=staged,
                    actor=team.member_actor,
                    number=team.task.number,
                    file_name="report.pdf",
                    size=len(PDF),
                    chunks=chunks(PDF),
                    max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
                )
        assert await stored_keys(storage) == []
    assert refused == [f"{len(PDF)} bytes"], "one request, whole, and no retry of a stream"
    async with unit_of_work(committing_factory) as session:
        assert await file_count(session) == 0
        assert await used_bytes(session, team.company.id) == 0
        attached = select(AuditLog).where(AuditLog.action == "file.attached")
        assert await session.scalar(attached) is None


@pytest.mark.parametrize("single_put_max", [SINGLE_PUT_MAX, 0], ids=["one-request", "parts"])
async def test_a_large_upload_streams_with_bounded_memory(
    session: AsyncSession, s3rver_process: S3rverProcess, acme: Team, single_put_max: int
) -> None:
    size = 30 * MIB
    async with s3_storage(s3rver_process.server, single_put_max=single_put_max) as storage:
        tracemalloc.start()
        try:
            async with staged_objects(storage) as staged:
                file = await files.attach_file(
                    session,
                    staged=staged,
                    actor=acme.member_actor,
                    number=acme.task.number,
                    file_name="scan.pdf",
                    size=size,
                    chunks=pdf_stream(size),
                    max_bytes=32 * MIB,
                )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        head = await storage.head(key=file.storage_key)
    assert file.size_bytes == size
    assert head is not None
    assert head.size == size
    assert peak < size // 2, f"peak {peak / MIB:.1f} MiB for a {size // MIB} MiB file"


async def test_the_sweep_removes_orphans_and_reports_rows_without_objects(
    session: AsyncSession, storage: ObjectStorage, acme: Team, globex: Team
) -> None:
    kept = await attach(session, storage, acme.member_actor, acme.task.number, name="kept.pdf")
    lost = await attach(session, storage, acme.member_actor, acme.task.number, name="lost.pdf")
    gone = await attach(session, storage, globex.owner_actor, globex.task.number)
    for file in (lost, gone):
        await storage.delete(key=file.storage_key)
    orphan = f"company_{acme.company.id}/task_{acme.task.id}/{'a' * 32}.pdf"
    other_orphan = f"company_{globex.company.id + 1000}/task_1/{'b' * 32}.txt"
    foreign = "company_notes/readme.txt"
    for key in (orphan, other_orphan, foreign):
        await storage.put(key=key, chunks=chunks(PDF), content_type="application/pdf")

    young = await files.sweep(session, storage=storage)
    assert (young.removed, young.young) == ([], 2)
    report = await files.sweep(session, storage=storage, now=utcnow() + timedelta(hours=7))
    assert sorted(report.removed) == sorted([orphan, other_orphan])
    assert report.young == 0
    assert {(m.file_id, m.company_id, m.key) for m in report.missing} == {
        (lost.id, acme.company.id, lost.storage_key),
        (gone.id, globex.company.id, gone.storage_key),
    }
    assert sorted(await stored_keys(storage)) == sorted([kept.storage_key, foreign])
    lines = report.lines()
    assert lines[-1] == (
        "orphaned objects removed: 2; recent ones kept: 0; files without their object: 2"
    )
    assert f"removed {orphan}" in lines
