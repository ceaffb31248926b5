"""Lists of tasks: paged in place, filtered by status and overdue, mine, and search."""

from __future__ import annotations

from datetime import timedelta

from teamtasks.db import SessionFactory
from teamtasks.models.base import utcnow
from teamtasks.models.enums import TaskStatus
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, alert, current, en, new_task, press, ru, say


async def test_tasks_are_paged_in_place_and_filtered_by_status(
    any_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    for number in range(1, 13):
        await new_task(committing_factory, crew, f"Task number {number}")
    await new_task(committing_factory, crew, "Already done", status=TaskStatus.DONE)

    first = await say(crew.anna, "/tasks")
    assert (first.text or "").startswith(en("work.list.status", name="To do") + " · 1–10")
    assert first.buttons[:2] == ["#12 Task number 12", "#11 Task number 11"]
    assert "Next ›" in first.buttons
    assert "‹ Previous" not in first.buttons
    _, second = await press(crew.anna, first, "Next ›")
    assert (second.text or "").startswith(en("work.list.status", name="To do") + " · 11–12")
    assert second.buttons[:3] == ["#2 Task number 2", "#1 Task number 1", "‹ Previous"]
    _, back = await press(crew.anna, second, "‹ Previous")
    assert back.message_id == first.message_id
    assert "· 1–10" in (back.text or "")

    _, done = await press(crew.anna, back, "Done")
    assert done.buttons[0] == "#13 Already done"
    assert "✓ Done" in done.buttons
    await press(crew.anna, done, "#13 Already done")
    card = await crew.anna.wait_reply()
    assert "#13 · Already done" in (card.text or "")


async def test_my_tasks_are_the_open_ones_assigned_to_me_with_the_closed_on_request(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    bob = crew.bob_id
    await new_task(committing_factory, crew, "Open one", assignee_id=bob)
    await new_task(committing_factory, crew, "Closed one", assignee_id=bob, status=TaskStatus.DONE)
    await new_task(committing_factory, crew, "Someone else's")

    mine = await say(crew.bob, "/my")
    assert (mine.text or "").startswith(ru("work.list.my") + " · 1–1")
    assert mine.buttons == ["#1 Open one", ru("work.button.show_closed")]
    _, everything = await press(crew.bob, mine, ru("work.button.show_closed"))
    assert everything.buttons == ["#1 Open one", "#2 Closed one", ru("work.button.open_only")]
    _, mine = await press(crew.bob, everything, ru("work.button.open_only"))
    assert mine.buttons == ["#1 Open one", ru("work.button.show_closed")]

    nothing = await say(crew.anna, "/my")
    assert en("work.list.empty_my") in (nothing.text or "")


async def test_overdue_lists_open_tasks_past_their_due_date(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    now = utcnow()
    await new_task(committing_factory, crew, "Late", due_at=now - timedelta(hours=2))
    await new_task(committing_factory, crew, "In time", due_at=now + timedelta(days=2))
    await new_task(
        committing_factory, crew, "Late but done", due_at=now - timedelta(days=1), status="done"
    )

    tasks = await say(crew.anna, "/tasks")
    _, overdue = await press(crew.anna, tasks, "Overdue")
    assert overdue.message_id == tasks.message_id
    assert [b for b in overdue.buttons if b.startswith("#")] == ["#1 Late"]
    assert "— overdue" in (overdue.text or "")
    assert "✓ Overdue" in overdue.buttons


async def test_search_finds_text_in_titles_and_descriptions_and_pages_its_results(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Fix the LOGIN page")
    await new_task(committing_factory, crew, "Form", description="the login form is 100%_broken")
    for number in range(11):
        await new_task(committing_factory, crew, f"Report {number}")

    found = await say(crew.anna, "/search login")
    assert found.buttons == ["#2 Form", "#1 Fix the LOGIN page"]
    assert (found.text or "").startswith(en("work.list.search", name="login"))
    literal = await say(crew.anna, "/search 100%_")
    assert literal.buttons == ["#2 Form"]
    assert en("work.list.empty_search") in ((await say(crew.anna, "/search 50%")).text or "")
    assert (await say(crew.anna, "/search")).text == en("work.search.usage")
    assert "<b>" in ((await say(crew.anna, "/search <b>")).text or "")

    reports = await say(crew.anna, "/search report")
    _, page_two = await press(crew.anna, reports, "Next ›")
    assert page_two.buttons[0] == "#3 Report 0"
    await say(crew.anna, "/search form")
    answer, unchanged = await press(crew.anna, page_two, "‹ Previous")
    assert alert(answer) == en("work.search.outdated")
    assert unchanged.text == (await current(crew.anna, page_two.message_id)).text
