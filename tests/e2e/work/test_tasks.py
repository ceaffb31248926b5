"""Creating and opening tasks: `/new` with a title or asking for it, numbers per company,
`/task 12` and `#12`, and what people type as titles."""

from __future__ import annotations

from sqlalchemy import func, select

from teamtasks.db import SessionFactory
from teamtasks.models import Task
from teamtasks.services import due_dates
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, en, ru, say, task_row


async def test_new_with_a_title_creates_the_next_number_of_the_company(
    any_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    first = await say(crew.anna, "/new Fix the login page")
    second = await say(crew.anna, "/new Write the release notes")
    greg = await say(crew.greg, "/new Globex budget")

    assert en("work.task.created", number=1) in (first.text or "")
    assert "#1 · Fix the login page" in (first.text or "")
    assert "#2 · Write the release notes" in (second.text or "")
    assert "#102 · Globex budget" in (greg.text or "")
    assert second.buttons[:4] == ["Status", "Priority", "Assignee", "Due date"]
    task = await task_row(committing_factory, crew.acme_id, 2)
    assert (task.title, task.author_id) == ("Write the release notes", crew.anna_id)


async def test_new_alone_asks_for_the_title_and_keeps_asking_after_a_refusal(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    assert (await say(crew.bob, "/new")).text == ru("work.ask.task_title")
    too_long = await say(crew.bob, "x" * 4096)
    assert too_long.text == ru("errors.invalid.too_long", max=256)
    card = await say(crew.bob, "Починить вход 🚀")

    assert "#1 · Починить вход 🚀" in (card.text or "")
    assert ru("work.card.author", name="Bob") in (card.text or "")
    assert (await say(crew.bob, "Просто текст, вопроса уже нет")).text == ru("fallback.message")
    assert "#1 ·" in ((await say(crew.bob, "/task 1")).text or "")
    await say(crew.bob, "/new")
    await say(crew.bob, "/cancel")
    assert (await say(crew.bob, "Передумал")).text == ru("fallback.message")
    assert (await say(crew.bob, "/task 2")).text == ru("errors.not_found.task", number=2)
    async with committing_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Task))
    assert count == 2, "Globex's task and Bob's one: the plain text after it created nothing"


async def test_a_task_opens_by_command_and_by_its_number_only_in_its_company(
    polling_bot: RunningBot, crew: Crew
) -> None:
    await say(crew.anna, "/new Fix the login page")

    by_command = await say(crew.anna, "/task 1")
    by_hash = await say(crew.anna, "/task #1")
    by_reference = await say(crew.anna, "#1")
    usage = await say(crew.anna, "/task first")
    missing = await say(crew.anna, "/task 7")
    theirs = await say(crew.anna, f"#{crew.globex_task}")

    for card in (by_command, by_hash, by_reference):
        assert "#1 · Fix the login page" in (card.text or "")
    assert usage.text == en("work.task.usage")
    assert missing.text == en("errors.not_found.task", number=7)
    assert theirs.text == en("errors.not_found.task", number=crew.globex_task)


async def test_titles_are_shown_exactly_as_typed(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    titles = ["<b>Bold</b> & Co", "Tom &amp; Jerry <script>", "שלום עולם", "مرحبا 👨‍👩‍👧‍👦"]
    for title in titles:
        card = await say(crew.anna, f"/new {title}")
        assert f"· {title}\n" in (card.text or ""), card.text
    task = await task_row(committing_factory, crew.acme_id, 1)
    assert task.title == "<b>Bold</b> & Co"


async def test_someone_outside_any_company_is_told_how_to_join(
    polling_bot: RunningBot, crew: Crew
) -> None:
    stranger = await crew.anna.client.create_user("Sam", language_code="en")
    for command in ("/new Something", "/my", "/projects", "/task 1", "/audit"):
        assert (await say(stranger, command)).text == en("errors.no_company")


async def test_new_reads_the_assignee_and_the_due_date_from_the_line(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Fix the login page @bob tomorrow 18:00")
    outsider = await say(crew.anna, "/new Budget @greg friday")

    assert "#1 · Fix the login page\n" in (card.text or "")
    assert en("work.card.assignee", name="Bob") in (card.text or "")
    task = await task_row(committing_factory, crew.acme_id, 1)
    assert (task.title, task.assignee_id) == ("Fix the login page", crew.bob_id)
    assert task.due_at == due_dates.parse_due("tomorrow 18:00", timezone="Europe/Moscow")
    assert outsider.text == en("errors.not_found.mention")
    async with committing_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Task))
    assert count == 2, "Globex's task and Anna's first: the refused line made nothing"


async def test_the_title_asked_by_new_alone_reads_the_assignee_and_the_due_date_too(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    assert (await say(crew.anna, "/new")).text == en("work.ask.task_title")
    card = await say(crew.anna, "Fix the login page @bob tomorrow 18:00")

    assert "#1 · Fix the login page\n" in (card.text or "")
    task = await task_row(committing_factory, crew.acme_id, 1)
    assert (task.title, task.assignee_id) == ("Fix the login page", crew.bob_id)
    assert task.due_at == due_dates.parse_due("tomorrow 18:00", timezone="Europe/Moscow")
