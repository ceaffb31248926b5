"""Files on tasks: attach one (checked, streamed into storage), list, link, delete; usage; sweep.

Order without half states. The object is put first and its row added after, in the caller's
unit of work; the caller wraps that unit of work in `teamtasks.storage.staged_objects`:

    async with staged_objects(storage) as staged, unit_of_work(factory) as session:
        await files.attach_file(session, staged=staged, actor=actor, ...)

If anything after the put fails inside `attach_file`, it deletes the object itself; if the unit
of work then fails (its commit included), leaving the block deletes the objects it put. A deleted
file's row goes in the unit of work and its object when the block ends, after the commit. What a
crash leaves behind, `sweep` finds: objects no row points to, and rows whose object is gone.

A file is checked before it is downloaded (the company's good standing, its task, the extension
against the allowlist, the declared size against Telegram's limit and the remaining storage
quota of the company's plan) and while it streams (the real size, the content against the
extension), never held in memory whole; the store records its sha256 as it takes it in.
"""

# Error names are the domain's words, as in teamtasks/services/errors.py.
# ruff: noqa: N818

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningUpdate

from teamtasks.config import MIB
from teamtasks.models import AuditLog, Company, File, Task, User
from teamtasks.models.base import BIGINT, utcnow
from teamtasks.models.enums import Role
from teamtasks.services import audit, limits
from teamtasks.services.actors import Actor, Permission, require, require_good_standing
from teamtasks.services.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    LimitReached,
    NotFound,
    PlanLimitReached,
)
from teamtasks.services.paging import DEFAULT_LIMIT, Page, fetch_row_page
from teamtasks.services.tasks import get_task, task_not_found
from teamtasks.services.users import display_name
from teamtasks.services.validation import MAX_INT4, check_id
from teamtasks.storage import (
    MAX_LINK_TTL,
    ObjectInfo,
    ObjectStorage,
    StorageUnavailableError,
    StoredObject,
)
from teamtasks.storage.content import ContentCheck, FileKind, clean_file_name, kind_of
from teamtasks.storage.staging import StagedObjects

log = structlog.stdlib.get_logger("teamtasks.files")

SWEEP_GRACE = timedelta(hours=6)
"""Objects younger than this are never swept: their upload may still be about to commit."""
KEY_RE = re.compile(r"^company_(\d+)/task_(\d+)/[0-9a-f]{32}\.[a-z0-9]{1,10}$")


class FileTooBig(LimitReached):
    default_key = "errors.files.too_big"


class FileTypeNotAllowed(InvalidInput):
    default_key = "errors.files.type_not_allowed"


class ContentMismatch(InvalidInput):
    default_key = "errors.files.content_mismatch"


class FileEmpty(InvalidInput):
    default_key = "errors.files.empty"


class QuotaFull(PlanLimitReached):
    default_key = "errors.files.quota_full"


class DownloadFailed(DomainError):
    """The file could not be fetched from Telegram: nothing was recorded, send it again."""

    default_key = "errors.files.download_failed"


class StorageUnavailable(DomainError):
    """The store did not answer: nothing was recorded, the user is asked to try again."""

    default_key = "errors.files.storage_unavailable"


@dataclass(frozen=True)
class UploadCheck:
    """What passed the checks before download: the task (its id and number), the cleaned
    name, the file's kind, and the company's storage (bytes used when checked, and its quota)."""

    task_id: int
    number: int
    name: str
    kind: FileKind
    used_bytes: int
    quota_bytes: int


@dataclass(frozen=True)
class FileEntry:
    """A file with its uploader's name (None when the user is gone)."""

    file: File
    uploader_name: str | None


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime
    file: File


@dataclass(frozen=True)
class StorageUsage:
    used_bytes: int
    quota_bytes: int


@dataclass(frozen=True)
class MissingObject:
    """A row whose object is not in the store."""

    file_id: int
    company_id: int
    key: str


@dataclass
class SweepReport:
    removed: list[str] = field(default_factory=list)
    missing: list[MissingObject] = field(default_factory=list)
    young: int = 0
    """Objects without a row kept because they are younger than the grace period."""

    def lines(self) -> list[str]:
        """The report as an operator reads it: one line per finding, then the totals."""
        lines = [f"removed {key}" for key in self.removed]
        lines += [
            f"missing object of file {item.file_id} (company {item.company_id}): {item.key}"
            for item in self.missing
        ]
        lines.append(
            f"orphaned objects removed: {len(self.removed)}; recent ones kept: {self.young}; "
            f"files without their object: {len(self.missing)}"
        )
        return lines


async def storage_used(session: AsyncSession, *, actor: Actor) -> StorageUsage:
    """Bytes the actor's company stores, and its quota."""
    used = await _used_bytes(session, actor.company_id)
    quota = await limits.storage_quota(session, company_id=actor.company_id)
    return StorageUsage(used_bytes=used, quota_bytes=quota)


_UPLOAD_CHECK = (
    select(Task.id, Company.storage_used_bytes, limits.storage_quota_of(Company.id))
    .join(Company, Company.id == Task.company_id)
    .where(Task.company_id == bindparam("company_id"), Task.number == bindparam("number"))
)
"""One round trip: the task's id, the company's storage used and its plan's quota (columns,
not entities: nothing for the session to track)."""


async def check_upload(
    session: AsyncSession,
    *,
    actor: Actor,
    number: int,
    file_name: str,
    size: int | None,
    max_bytes: int,
) -> UploadCheck:
    """Everything that can be refused before downloading: the company's standing, the task
    #number, the extension, the declared size against `max_bytes` (the Bot API's limit) and
    the remaining quota of the company's plan."""
    require(actor, Permission.WORK_ON_TASKS)
    require_good_standing(actor)
    check_id(number, task_not_found(number), maximum=MAX_INT4)
    row = (
        await session.execute(_UPLOAD_CHECK, {"company_id": actor.company_id, "number": number})
    ).first()
    if row is None:
        raise task_not_found(number)
    task_id, used, quota = row
    if quota is None:
        raise limits.plan_not_found()
    name = clean_file_name(file_name)
    stem, dot, extension = name.rpartition(".")
    kind = kind_of(extension.lower()) if dot and stem else None
    if kind is None:
        raise FileTypeNotAllowed()
    if size is not None:
        if size > max_bytes:
            raise FileTooBig(max=max_bytes // MIB)
        if used + size > quota:
            raise _quota_full(quota)
    return UploadCheck(
        task_id=task_id, number=number, name=name, kind=kind, used_bytes=used, quota_bytes=quota
    )


async def attach_file(
    session: AsyncSession,
    *,
    staged: StagedObjects,
    actor: Actor,
    number: int,
    file_name: str,
    size: int | None,
    chunks: AsyncIterable[bytes],
    max_bytes: int,
    telegram_file_id: str | None = None,
) -> File:
    """Attach the file streamed by `chunks` to task #number: checked, stored, recorded.

    `size` is the size Telegram declares, None when it does not say: checked before the
    download, which must then be exactly that long (DownloadFailed otherwise), and it lets the
    store send the download on as it arrives.

    `chunks` is not read before the checks of `check_upload` pass, so a lazy download (an
    async generator) starts only for a file that may be attached. Once the stream is read,
    its storage is counted against the quota and its rows added in one statement (on
    PostgreSQL), while the store takes the last bytes in: the company's row is locked only
    from then until the commit, not while the object travels. The caller commits after that;
    if the store fails, or the quota has no room left, nothing is stored.
    """
    upload = await check_upload(
        session, actor=actor, number=number, file_name=file_name, size=size, max_bytes=max_bytes
    )
    kind, quota = upload.kind, upload.quota_bytes
    key = f"company_{actor.company_id}/task_{upload.task_id}/{uuid.uuid4().hex}.{kind.extension}"
    stream = _checked(
        chunks, kind, declared=size, max_bytes=max_bytes, used=upload.used_bytes, quota=quota
    )
    try:
        async with staged.storage.upload(
            key=key, content_type=kind.content_type, size=size
        ) as sending:
            stored = await sending.send(stream)
            # Recorded while the store may still be taking the last bytes in; the block is
            # left (and the caller commits) only once the store has the object.
            file = await _record(session, actor, upload, key, stored, telegram_file_id)
            if file is None:
                # Another upload took the space meanwhile.
                raise _quota_full(quota)
    except StorageUnavailableError as exc:
        log.warning("file_not_stored", key=key, error=str(exc))
        raise StorageUnavailable() from exc
    finally:
        await stream.aclose()
    staged.put_keys.append(key)
    return file


async def _checked(
    chunks: AsyncIterable[bytes],
    kind: FileKind,
    *,
    declared: int | None,
    max_bytes: int,
    used: int,
    quota: int,
) -> AsyncGenerator[bytes, None]:
    """The chunks, checked as they pass: size (the declared one too), quota, content; the end
    only if all passed."""
    check = ContentCheck(kind)
    source = aiter(chunks)
    try:
        async for chunk in source:
            if check.size + len(chunk) > max_bytes:
                raise FileTooBig(max=max_bytes // MIB)
            if declared is not None and check.size + len(chunk) > declared:
                raise DownloadFailed()
            if used + check.size + len(chunk) > quota:
                raise _quota_full(quota)
            if not check.feed(chunk):
                raise ContentMismatch()
            yield chunk
    finally:
        if isinstance(source, AsyncGenerator):
            await source.aclose()
    if check.size == 0:
        raise FileEmpty()
    if declared is not None and check.size != declared:
        raise DownloadFailed()
    if not check.finish():
        raise ContentMismatch()


async def _record(
    session: AsyncSession,
    actor: Actor,
    upload: UploadCheck,
    key: str,
    stored: StoredObject,
    telegram_file_id: str | None,
) -> File | None:
    """Count the stored object against the quota, and add its File row and audit row; None,
    with nothing written, when the quota has no room left for it."""
    values: dict[str, Any] = {
        "company_id": actor.company_id,
        "task_id": upload.task_id,
        "uploaded_by_id": actor.user_id,
        "storage_key": key,
        "original_name": upload.name,
        "content_type": upload.kind.content_type,
        "size_bytes": stored.size,
        "sha256": stored.sha256,
        "telegram_file_id": telegram_file_id,
        "created_at": utcnow(),
    }
    details: dict[str, int | str] = {
        "number": upload.number,
        "size": stored.size,
        "content_type": upload.kind.content_type,
    }
    if session.get_bind().dialect.name == "postgresql":
        parameters = {f"file_{name}": value for name, value in values.items()}
        recorded: File | None = await session.scalar(
            _RECORD, {**parameters, "quota": upload.quota_bytes, "audit_details": details}
        )
        return recorded
    counted = await session.scalar(_count(actor.company_id, stored.size, upload.quota_bytes))
    if counted is None:
        return None
    file = File(**values)
    session.add(file)
    await session.flush()
    audit.record_by(session, actor, "file.attached", "file", file.id, **details)
    await session.flush()
    return file


def _count(company_id: Any, size: Any, quota: Any) -> ReturningUpdate[tuple[int]]:
    """Add `size` to the company's storage used unless that exceeds `quota` (the company's id
    when counted). Concurrent uploads queue on the company row and none overshoots."""
    return (
        update(Company)
        .where(Company.id == company_id, Company.storage_used_bytes + size <= quota)
        .values(
            storage_used_bytes=Company.storage_used_bytes + size,
            updated_at=Company.updated_at,
        )
        .returning(Company.id)
    )


def _build_record() -> Select[tuple[File]]:
    """On PostgreSQL, `_record` in one statement (one round trip): the count, the File row
    (only if counted) and its audit row (only if added)."""
    counted = _count(
        bindparam("file_company_id"),
        bindparam("file_size_bytes", type_=BIGINT),
        bindparam("quota", type_=BIGINT),
    ).cte("counted")
    added = (
        insert(File)
        .from_select(
            _RECORDED,
            select(
                *(
                    bindparam(f"file_{name}", type_=File.__table__.c[name].type)
                    for name in _RECORDED
                )
            ).select_from(counted),
        )
        .returning(File)
        .cte("added")
    )
    audited = insert(AuditLog).from_select(
        [
            "company_id",
            "actor_user_id",
            "action",
            "entity_type",
            "entity_id",
            "details",
            "created_at",
        ],
        select(
            added.c.company_id,
            added.c.uploaded_by_id,
            literal("file.attached"),
            literal("file"),
            added.c.id,
            bindparam("audit_details", type_=AuditLog.__table__.c.details.type),
            added.c.created_at,
        ),
    )
    return select(aliased(File, added)).add_cte(audited.cte("audited"))


_RECORDED = (
    "company_id",
    "task_id",
    "uploaded_by_id",
    "storage_key",
    "original_name",
    "content_type",
    "size_bytes",
    "sha256",
    "telegram_file_id",
    "created_at",
)
_RECORD = _build_record()


def file_not_found() -> NotFound:
    return NotFound("errors.not_found.file")


async def get_file(session: AsyncSession, *, actor: Actor, file_id: int) -> File:
    """A file of the actor's company (its Telegram file_id, if cached, re-sends it)."""
    check_id(file_id, file_not_found())
    file = await session.scalar(
        select(File).where(File.id == file_id, File.company_id == actor.company_id)
    )
    if file is None:
        raise file_not_found()
    return file


async def list_files(
    session: AsyncSession,
    *,
    actor: Actor,
    number: int,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[FileEntry]:
    """Files of task #number, newest first, one page."""
    task = await get_task(session, actor=actor, number=number)
    statement = (
        select(File, User)
        .outerjoin(User, User.id == File.uploaded_by_id)
        .where(File.company_id == actor.company_id, File.task_id == task.id)
        .order_by(File.created_at.desc(), File.id.desc())
    )
    page = await fetch_row_page(session, statement, limit=limit, offset=offset)
    return Page(
        items=[
            FileEntry(file=file, uploader_name=display_name(user) if user else None)
            for file, user in page.items
        ],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


async def download_link(
    session: AsyncSession,
    *,
    storage: ObjectStorage,
    actor: Actor,
    file_id: int,
    expires_in: timedelta = MAX_LINK_TTL,
) -> DownloadLink:
    """A link to the file, named as uploaded, that expires in `expires_in` (at most 1 hour)."""
    file = await get_file(session, actor=actor, file_id=file_id)
    expires_in = min(expires_in, MAX_LINK_TTL)
    try:
        url = await storage.link(
            key=file.storage_key, filename=file.original_name, expires_in=expires_in
        )
    except StorageUnavailableError as exc:
        raise StorageUnavailable() from exc
    return DownloadLink(url=url, expires_at=utcnow() + expires_in, file=file)


async def get_deletable_file(session: AsyncSession, *, actor: Actor, file_id: int) -> File:
    """A file the actor may delete: one they attached, or any of the company's for managers
    and owners (asked before a deletion is confirmed, and again when it is done)."""
    require(actor, Permission.WORK_ON_TASKS)
    file = await get_file(session, actor=actor, file_id=file_id)
    if file.uploaded_by_id != actor.user_id and actor.role not in (Role.OWNER, Role.MANAGER):
        raise Forbidden("errors.forbidden.files.delete")
    return file


async def delete_file(
    session: AsyncSession, *, staged: StagedObjects, actor: Actor, file_id: int
) -> None:
    """Delete a file (its uploader, managers and owners); the object goes after the commit."""
    file = await get_deletable_file(session, actor=actor, file_id=file_id)
    number = await session.scalar(select(Task.number).where(Task.id == file.task_id))
    await session.execute(
        update(Company)
        .where(Company.id == actor.company_id)
        .values(
            storage_used_bytes=Company.storage_used_bytes - file.size_bytes,
            updated_at=Company.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    await session.delete(file)
    await session.flush()
    audit.record_by(
        session, actor, "file.deleted", "file", file_id, number=number, size=file.size_bytes
    )
    staged.removed_keys.append(file.storage_key)


async def sweep(
    session: AsyncSession,
    *,
    storage: ObjectStorage,
    grace: timedelta = SWEEP_GRACE,
    now: datetime | None = None,
) -> SweepReport:
    """Delete objects no row points to (older than `grace`); report rows whose object is gone.

    Both stores list keys in order, so one company's objects (`company_{id}/...`) come
    together and are compared with that company's rows; only keys of our own form are touched.
    """
    cutoff = (now or utcnow()) - grace
    report = SweepReport()
    seen: set[int] = set()
    company: int | None = None
    objects: list[ObjectInfo] = []
    async for info in storage.scan(prefix="company_"):
        match = KEY_RE.match(info.key)
        if match is None:
            continue
        if int(match[1]) != company:
            if company is not None:
                await _sweep_company(session, storage, company, objects, cutoff, report)
            company, objects = int(match[1]), []
            seen.add(company)
        objects.append(info)
    if company is not None:
        await _sweep_company(session, storage, company, objects, cutoff, report)
    with_rows = set((await session.scalars(select(File.company_id).distinct())).all())
    for company_id in sorted(with_rows - seen):
        await _sweep_company(session, storage, company_id, [], cutoff, report)
    return report


async def _sweep_company(
    session: AsyncSession,
    storage: ObjectStorage,
    company_id: int,
    objects: list[ObjectInfo],
    cutoff: datetime,
    report: SweepReport,
) -> None:
    rows = await session.execute(
        select(File.storage_key, File.id).where(File.company_id == company_id)
    )
    keys: dict[str, int] = dict(rows.tuples().all())
    for info in objects:
        if info.key in keys:
            continue
        if info.modified_at < cutoff:
            await storage.delete(key=info.key)
            report.removed.append(info.key)
            log.info("orphan_object_removed", key=info.key, size=info.size)
        else:
            report.young += 1
    stored = {info.key for info in objects}
    for key, file_id in sorted(keys.items()):
        if key not in stored:
            report.missing.append(MissingObject(file_id=file_id, company_id=company_id, key=key))
            log.warning("file_object_missing", file_id=file_id, key=key)


async def _used_bytes(session: AsyncSession, company_id: int) -> int:
    used = await session.scalar(select(Company.storage_used_bytes).where(Company.id == company_id))
    return used or 0


def _quota_full(quota: int) -> QuotaFull:
    return QuotaFull(max=quota // MIB)
