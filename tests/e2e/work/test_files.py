"""Files on tasks, as people use them: attach a document or photo to the open task (or by
replying to its card), list them on the card, fetch them by an expiring link over HTTP, get
them sent again, delete them; every refusal answered; nothing half-stored.

The stores are real: the local one behind `teamtasks web`, and S3 on moto's server through a
proxy the tests cut (tests/e2e/work/files_conftest.py). Links expire on the local store, whose
signature `teamtasks web` checks (moto checks neither signatures nor expiry).
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re

import aiohttp
import httpx
import pytest
from sqlalchemy import select, update

from teamtasks.config import MIB
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, Company, File
from teamtasks.services import plans
from teamtasks.storage import MAX_LINK_TTL, content_disposition
from tests.e2e.conftest import RunningBot
from tests.e2e.work import files_conftest
from tests.e2e.work.conftest import Crew, alert, database, en, new_task, press, ru, say
from tests.e2e.work.files_conftest import FilesBot
from tests.storage import fixtures
from tgemulator import EmulatorServer
from tgemulator.client import ChatMessage, Person
from tgemulator.errors import GatewayError

# Fixtures by name: the bot with a controlled store, and moto's server.
local_files = files_conftest.local_files
s3_files = files_conftest.s3_files
moto = fixtures.moto

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(3000) + b"\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(3000)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xc0\x00\x11\x08\x00\x04\x00\x05\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    + os.urandom(500)
    + b"\xff\xd9"
)
LINK = re.compile(r'href="([^"]+)"')


@pytest.fixture(params=["local", "s3"])
def files_bot(request: pytest.FixtureRequest) -> FilesBot:
    """The same scenario on the local store and on S3."""
    running: FilesBot = request.getfixturevalue(f"{request.param}_files")
    return running


async def send_file(
    person: Person, name: str, data: bytes, *, reply_to: int | None = None, photo: bool = False
) -> ChatMessage:
    """The person sends a file (as a reply to a message, if given); the bot's answer.

    The name goes as a Telegram app sends it, in UTF-8 (`Person.send_file` percent-encodes it).
    """
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("file", io.BytesIO(data), filename=name)
    if reply_to is not None:
        form.add_field("reply_to_message_id", str(reply_to))
    if photo:
        form.add_field("as_photo", "1")
    await person.client.request("POST", f"/emulator/api/users/{person.id}/messages", data=form)
    return await person.wait_reply(timeout=15)


async def files_of(factory: SessionFactory) -> list[File]:
    async with factory() as session:
        return list(await session.scalars(select(File).order_by(File.id)))


async def audit_actions(factory: SessionFactory, entity_type: str = "file") -> list[str]:
    async with factory() as session:
        rows = await session.scalars(
            select(AuditLog.action).where(AuditLog.entity_type == entity_type).order_by(AuditLog.id)
        )
        return list(rows)


async def used_bytes(factory: SessionFactory, company_id: int) -> int:
    async with factory() as session:
        used = await session.scalar(
            select(Company.storage_used_bytes).where(Company.id == company_id)
        )
        return used or 0


def link_in(message: ChatMessage) -> str:
    found = LINK.search(message.html or "")
    assert found is not None, f"no link in {message.html!r}"
    return html.unescape(found[1])


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url)


async def test_a_file_sent_while_a_task_is_open_is_attached_and_downloads_by_its_link(
    files_bot: FilesBot, crew: Crew, committing_factory: SessionFactory, telegram: EmulatorServer
) -> None:
    await new_task(committing_factory, crew, "Write the spec")
    card = await say(crew.anna, "/task 1")

    answer = await send_file(crew.anna, "Spec «v2».pdf", PDF)

    assert answer.text == en("files.attached", name="Spec «v2».pdf", size="2.9 KB", number=1)
    # Her chat showed "sending a file" meanwhile.
    shown = [call for call in telegram.calls if call.method == "sendChatAction"]
    assert [(call.chat_id, call.ok) for call in shown] == [(crew.anna.id, True)]
    [row] = await files_of(committing_factory)
    assert row.original_name == "Spec «v2».pdf"
    assert row.size_bytes == len(PDF)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.storage_key.startswith(f"company_{crew.acme_id}/task_")
    assert row.telegram_file_id
    assert await files_bot.keys() == [row.storage_key]
    assert await audit_actions(committing_factory) == ["file.attached"]
    assert await used_bytes(committing_factory, crew.acme_id) == len(PDF)

    _, listing = await press(crew.anna, card, "📎 Files")
    assert (listing.text or "").startswith(en("files.list.title", number=1) + " · 1–1")
    assert "1. Spec «v2».pdf · 2.9 KB\nAnna · " in (listing.text or "")
    assert listing.buttons == ["🔗 1", "📨 1", "🗑 1", "« Task"]
    assert (await say(crew.anna, "/task 1")).buttons[-1] == "📎 Files (1)"

    await press(crew.anna, listing, "🔗 1")
    link = await crew.anna.wait_reply()
    assert "Spec «v2».pdf (2.9 KB)" in (link.text or "")
    response = await fetch(link_in(link))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-disposition"] == content_disposition("Spec «v2».pdf")


async def test_a_reply_to_a_card_attaches_to_that_task_and_photos_are_named(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Logo")
    await new_task(committing_factory, crew, "Landing page")
    first = await say(crew.bob, "/task 1")
    await say(crew.bob, "/task 2")

    answer = await send_file(crew.bob, "logo.jpg", JPEG, reply_to=first.message_id, photo=True)

    [row] = await files_of(committing_factory)
    assert re.fullmatch(r"photo_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.jpg", row.original_name)
    assert row.content_type == "image/jpeg"
    assert answer.text == ru(
        "files.attached", name=row.original_name, size=f"{len(JPEG)} Б", number=1
    )
    # The task replied to is open now: the next file without a reply goes there too.
    await send_file(crew.bob, "notes.txt", "Заметки\n".encode())
    rows = await files_of(committing_factory)
    assert [file.original_name for file in rows][1] == "notes.txt"
    assert {file.task_id for file in rows} == {rows[0].task_id}


async def test_a_link_that_has_expired_or_was_altered_is_refused(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Contract")
    card = await say(crew.anna, "/task 1")
    await send_file(crew.anna, "contract.pdf", PDF)
    _, listing = await press(crew.anna, card, "📎 Files")

    local_files.clock.offset = -(MAX_LINK_TTL + MAX_LINK_TTL / 60)  # issued 61 minutes ago
    await press(crew.anna, listing, "🔗 1")
    expired = link_in(await crew.anna.wait_reply())
    local_files.clock.offset = -(MAX_LINK_TTL - MAX_LINK_TTL / 60)  # issued 59 minutes ago
    await press(crew.anna, listing, "🔗 1")
    fresh = link_in(await crew.anna.wait_reply())

    assert (await fetch(expired)).status_code == 403
    assert (await fetch(fresh)).content == PDF
    assert (await fetch(fresh.replace("contract.pdf", "invoice.pdf"))).status_code == 403
    assert (await fetch(fresh.split("?")[0])).status_code == 403


async def test_a_file_is_sent_again_by_its_telegram_file_id(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Photos")
    card = await say(crew.anna, "/task 1")
    await send_file(crew.anna, "cat.jpg", JPEG, photo=True)
    await send_file(crew.anna, "brief.pdf", PDF)
    photo, document = await files_of(committing_factory)
    _, listing = await press(crew.anna, card, "📎 Files")

    toast, _ = await press(crew.anna, listing, "📨 1")  # newest first: the PDF
    again = await crew.anna.wait_reply()
    assert toast is not None
    assert toast.text == en("files.toast.sent")
    assert again.document is not None
    assert again.document["file_id"] == document.telegram_file_id

    await press(crew.anna, listing, "📨 2")
    again = await crew.anna.wait_reply()
    assert again.photo is not None
    assert again.photo["file_id"] == photo.telegram_file_id


async def test_another_company_can_neither_list_nor_fetch_nor_delete_a_file(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Acme secrets")
    await say(crew.anna, "/task 1")
    await send_file(crew.anna, "secret.pdf", PDF)
    [row] = await files_of(committing_factory)
    probe = await say(crew.greg, f"/task {crew.globex_task}")
    before = await database(committing_factory)

    forged = ["fil:ls:1:0:0", *(f"fil:{a}:1:{row.id}:0" for a in ("ln", "sd", "dq", "dx"))]
    answers = [await crew.greg.forged_callback(probe.message_id, data) for data in forged]

    assert alert(answers[0]) == en("errors.not_found.task", number=1)
    for answer in answers[1:]:
        assert alert(answer) == en("errors.not_found.file")
    assert await database(committing_factory) == before
    assert [m for m in await crew.greg.messages() if m.from_bot][-1].message_id == probe.message_id


async def test_every_bad_file_gets_a_clear_answer_and_leaves_nothing(
    files_bot: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Inbox")
    refused = await send_file(crew.anna, "report.pdf", PDF)
    assert refused.text == en("errors.files.no_open_task")

    await say(crew.anna, "/task 1")
    answers = [
        await send_file(crew.anna, "huge.pdf", b"%PDF-1.7\n" + bytes(20 * MIB)),
        await send_file(crew.anna, "setup.exe", EXE),
        await send_file(crew.anna, "invoice.pdf", EXE),
        await send_file(crew.anna, "README", b"hello"),
    ]
    assert [answer.text for answer in answers] == [
        en("errors.files.too_big", max=20),
        en("errors.files.type_not_allowed"),
        en("errors.files.content_mismatch"),
        en("errors.files.type_not_allowed"),
    ]
    async with unit_of_work(committing_factory) as session:
        quota = (await plans.get_plan(session, code="team")).max_storage_bytes
        await session.execute(
            update(Company).where(Company.id == crew.acme_id).values(storage_used_bytes=quota - 100)
        )
    full = await send_file(crew.anna, "report.pdf", PDF)
    assert full.text == en("errors.files.quota_full", max=quota // MIB)

    assert await files_of(committing_factory) == []
    assert await files_bot.keys() == []
    assert await audit_actions(committing_factory) == []


async def test_telegram_failing_around_the_download_is_answered_and_leaves_nothing(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory, telegram: EmulatorServer
) -> None:
    await new_task(committing_factory, crew, "Flaky Telegram")
    await say(crew.anna, "/task 1")

    # A proxy's page instead of getFile's answer: the download cannot start.
    telegram.fail_next("getFile", GatewayError(502))
    failed = await send_file(crew.anna, "plan.pdf", PDF)
    # The chat action is a courtesy: its failure does not stop the upload.
    telegram.fail_next("sendChatAction", GatewayError(502))
    attached = await send_file(crew.anna, "plan.pdf", PDF)

    assert failed.text == en("errors.files.download_failed")
    assert attached.text == en("files.attached", name="plan.pdf", size="2.9 KB", number=1)
    [row] = await files_of(committing_factory)
    assert await local_files.keys() == [row.storage_key]
    assert await audit_actions(committing_factory) == ["file.attached"]


async def test_the_store_stopped_mid_upload_leaves_no_row_and_no_object(
    s3_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Big upload")
    await say(crew.anna, "/task 1")
    assert s3_files.proxy is not None
    s3_files.proxy.cut_after(256 * 1024)

    answer = await send_file(crew.anna, "scan.pdf", b"%PDF-1.7\n" + os.urandom(2 * MIB))

    assert s3_files.proxy.cut.is_set()
    assert answer.text == en("errors.files.storage_unavailable")
    assert await files_of(committing_factory) == []
    assert await s3_files.keys() == []
    assert await used_bytes(committing_factory, crew.acme_id) == 0


async def test_an_unreachable_store_records_nothing_and_asks_to_retry(
    s3_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Offline")
    await say(crew.bob, "/task 1")
    assert s3_files.proxy is not None
    s3_files.proxy.stop()

    answer = await send_file(crew.bob, "plan.pdf", PDF)

    assert answer.text == ru("errors.files.storage_unavailable")
    assert await files_of(committing_factory) == []
    assert await s3_files.keys() == []


async def test_the_uploader_or_an_owner_deletes_a_file_another_member_may_not(
    files_bot: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Shared")
    await say(crew.anna, "/task 1")
    await send_file(crew.anna, "owners.pdf", PDF)
    bobs_card = await say(crew.bob, "/task 1")
    await send_file(crew.bob, "bobs.pdf", PDF)
    await send_file(crew.bob, "bobs-second.pdf", PDF)
    owners, bobs, bobs_second = await files_of(committing_factory)

    assert bobs_card.buttons[-1] == "📎 Файлы (1)"
    _, listing = await press(crew.bob, bobs_card, "📎 Файлы (1)")
    assert alert((await press(crew.bob, listing, "🗑 3"))[0]) == ru("errors.forbidden.files.delete")
    _, question = await press(crew.bob, listing, "🗑 1")
    assert (question.text or "").startswith("Удалить bobs-second.pdf (2,9 КБ) из #1?")
    toast, listing = await press(crew.bob, question, "Удалить")
    assert toast is not None
    assert toast.text == ru("files.toast.deleted")
    assert "bobs-second.pdf" not in (listing.text or "")

    anna_card = await say(crew.anna, "/task 1")
    _, anna_listing = await press(crew.anna, anna_card, "📎 Files (2)")
    _, question = await press(crew.anna, anna_listing, "🗑 1")
    _, anna_listing = await press(crew.anna, question, "Delete")
    _, anna_card = await press(crew.anna, anna_listing, "« Task")
    assert anna_card.buttons[-1] == "📎 Files (1)"

    assert [file.id for file in await files_of(committing_factory)] == [owners.id]
    assert await files_bot.keys() == [owners.storage_key]
    assert await used_bytes(committing_factory, crew.acme_id) == len(PDF)
    actions = await audit_actions(committing_factory)
    assert actions == ["file.attached"] * 3 + ["file.deleted"] * 2
    assert bobs.storage_key not in await files_bot.keys()
    assert bobs_second.storage_key not in await files_bot.keys()


async def test_usage_shows_what_the_company_stores_against_its_quota(
    local_files: FilesBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Storage")
    await say(crew.anna, "/task 1")
    await send_file(crew.anna, "a.pdf", PDF)

    usage = await say(crew.anna, "/usage")
    russian = await say(crew.bob, "/usage")

    # A trial has the Team plan's 10 GB; what is free is cut, never rounded up.
    assert usage.text == en("files.usage", used="2.9 KB", quota="10 GB", percent=0, free="9.9 GB")
    assert russian.text == ru("files.usage", used="2,9 КБ", quota="10 ГБ", percent=0, free="9,9 ГБ")


async def test_the_bot_opens_its_store_by_its_settings_in_both_modes(
    any_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    """`teamtasks bot` opens the store when polling starts; `teamtasks web` in its lifespan."""
    await new_task(committing_factory, crew, "Modes")
    await say(crew.anna, "/task 1")

    answer = await send_file(crew.anna, "mode.pdf", PDF)

    assert answer.text == en("files.attached", name="mode.pdf", size="2.9 KB", number=1)
    [row] = await files_of(committing_factory)
    stored = any_bot.settings.data_dir / "files" / row.storage_key
    assert stored.read_bytes() == PDF
