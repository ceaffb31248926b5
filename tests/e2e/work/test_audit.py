"""`/audit`: owners read the latest entries in their words; members are refused."""

from __future__ import annotations

from teamtasks.db import SessionFactory
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, alert, en, new_task, press, ru, say


async def test_an_owner_reads_the_latest_entries_page_by_page(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Fix the login page")
    _, card = await press(crew.anna, card, "Status")
    await press(crew.anna, card, "Done")
    for number in range(10):
        await new_task(committing_factory, crew, f"Chore {number}")

    log = await say(crew.anna, "/audit")
    text = log.text or ""
    assert text.startswith(en("work.audit.title", timezone="Europe/Moscow") + " · 1–10")
    assert "Anna: created a task — #11" in text
    assert log.buttons == ["Next ›"]
    _, older = await press(crew.anna, log, "Next ›")
    older_text = older.text or ""
    assert "Anna: changed a task's status — #1 To do → Done" in older_text
    assert "Anna: created a task — #1" in older_text
    assert "Bob: joined — member" in older_text
    assert "Anna: created the company — Acme" in older_text

    answer = await crew.anna.forged_callback(log.message_id, "aud:500")
    assert alert(answer) == en("work.stale.page")


async def test_a_member_is_refused_the_audit_log(polling_bot: RunningBot, crew: Crew) -> None:
    assert (await say(crew.bob, "/audit")).text == ru("errors.forbidden.audit.read")
    own = await say(crew.bob, "/my")
    answer = await crew.bob.forged_callback(own.message_id, "aud:0")
    assert answer is not None
    assert answer.text == ru("errors.forbidden.audit.read")
