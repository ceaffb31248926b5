"""`/export`: an owner gets the company's data as a ZIP document, even after the trial ended;
members and people in no company are told why not."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import update

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import SubscriptionStatus
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, People, database, en, ru, say
from tgemulator import methods_files
from tgemulator.client import ChatMessage


async def archive_of(running: RunningBot, message: ChatMessage) -> zipfile.ZipFile:
    """The document the bot sent, downloaded through the Bot API as any client would."""
    assert message.document is not None, f"not a document: {message.text!r}"
    file = await running.bot.get_file(message.document["file_id"])
    assert file.file_path is not None
    data = await running.bot.download_file(file.file_path)
    assert data is not None
    return zipfile.ZipFile(io.BytesIO(data.read()))


def rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


async def test_an_owner_exports_the_company_as_a_zip(polling_bot: RunningBot, crew: Crew) -> None:
    await say(crew.anna, '/new Call "Initech", then Globex? 📞')

    reply = await say(crew.anna, "/export")

    assert reply.document is not None
    name = reply.document["file_name"]
    assert name.startswith("teamtasks-acme-")
    assert name.endswith(".zip")
    assert (reply.text or "").startswith("Acme: all data as of ")
    assert "Members: 2 · Projects: 0 · Tasks: 1 · Comments: 0 · Files: 0" in (reply.text or "")
    archive = await archive_of(polling_bot, reply)
    assert sorted(archive.namelist()) == [
        "audit.csv",
        "comments.csv",
        "files.csv",
        "members.csv",
        "projects.csv",
        "tasks.csv",
    ]
    header, *tasks = rows(archive, "tasks.csv")
    assert header[:8] == [
        "number",
        "title",
        "description",
        "status",
        "priority",
        "project",
        "assignee",
        "author",
    ]
    assert [task[:8] for task in tasks] == [
        ["1", 'Call "Initech", then Globex? 📞', "", "todo", "normal", "", "", "Anna"]
    ]
    assert [member[:3] for member in rows(archive, "members.csv")[1:]] == [
        ["Anna", "anna", "owner"],
        ["Bob", "bob", "member"],
    ]
    assert "Greg" not in repr(rows(archive, "audit.csv"))

    log = await say(crew.anna, "/audit")  # handled after the export's update committed
    assert "Anna: exported the company's data" in (log.text or "")


async def test_an_owner_still_exports_after_the_trial_ended(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.company_id == crew.acme_id)
            .values(
                status=SubscriptionStatus.EXPIRED,
                current_period_start=utcnow() - timedelta(days=15),
                current_period_end=utcnow() - timedelta(days=1),
            )
        )
    refused = await say(crew.anna, "/new Anything")
    assert refused.text == en("errors.billing.out_of_good_standing")

    reply = await say(crew.anna, "/export")

    assert reply.document is not None
    assert "Tasks: 0" in (reply.text or "")


async def test_members_and_people_without_a_company_are_refused(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory, people: People
) -> None:
    before = await database(committing_factory)
    stranger = await people("Vera", language_code="ru")

    assert (await say(crew.bob, "/export")).text == ru("errors.forbidden.data.export")
    assert (await say(stranger, "/export")).text == ru("errors.no_company")
    after = await database(committing_factory)
    after.pop("users")  # Vera's first message made her a user
    before.pop("users")
    assert after == before


async def test_an_export_telegram_refuses_as_too_large_is_explained_and_not_audited(
    polling_bot: RunningBot, crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(methods_files, "MAX_UPLOAD_BYTES", 100)

    reply = await say(crew.anna, "/export")

    assert reply.text == en("export.too_large")
    log = await say(crew.anna, "/audit")
    assert "exported" not in (log.text or "")
