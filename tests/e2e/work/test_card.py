"""The task card's buttons: status, assignee, due date in both languages, priority, project,
description, and what a canceled task still offers."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, NotificationStatus, TaskPriority, TaskStatus
from teamtasks.services import invites, projects, users
from teamtasks.services.due_dates import format_due
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import (
    Crew,
    actor,
    alert,
    current,
    en,
    notifications_for,
    press,
    ru,
    say,
    task_row,
)

MOSCOW = ZoneInfo("Europe/Moscow")


async def test_status_and_assignee_change_on_the_card_and_tell_the_assignee(
    any_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Fix the login page")
    assert card.buttons == [
        "Status",
        "Priority",
        "Assignee",
        "Due date",
        "Project",
        "Description",
        "Comment",
        "Comments",
        "📎 Files",
    ]

    _, card = await press(crew.anna, card, "Assignee")
    assert card.buttons == ["Anna @anna", "Bob @bob", "« Back"]
    answer, card = await press(crew.anna, card, "Bob @bob")
    assert answer is not None
    assert answer.text == en("work.toast.saved")
    assert en("work.card.assignee", name="Bob") in (card.text or "")
    assert card.buttons[0] == "Status"

    _, card = await press(crew.anna, card, "Status")
    assert card.buttons[:4] == ["✓ To do", "In progress", "Done", "Canceled"]
    _, card = await press(crew.anna, card, "In progress")
    assert en("work.card.status", status="In progress") in (card.text or "")

    task = await task_row(committing_factory, crew.acme_id, 1)
    assert (task.assignee_id, task.status) == (crew.bob_id, TaskStatus.IN_PROGRESS)
    told = await notifications_for(committing_factory, crew.bob_id)
    assert [row.kind for row in told] == ["task.assigned", "task.status_changed"]
    assert "Anna" in told[0].text
    assert "#1 Fix the login page" in told[0].text
    assert all(row.status in set(NotificationStatus) for row in told)
    assert await notifications_for(committing_factory, crew.anna_id) == []

    _, card = await press(crew.anna, card, "Assignee")
    _, card = await press(crew.anna, card, "Nobody (unassign)")
    assert en("work.card.assignee", name=en("work.card.nobody")) in (card.text or "")


async def test_a_due_date_typed_in_russian_is_shown_back_in_the_companys_zone(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.bob, "/new Починить вход")
    await press(crew.bob, card, "Срок")
    prompt = await crew.bob.wait_reply()
    assert "Europe/Moscow" in (prompt.text or "")
    assert prompt.buttons == []

    refused = await say(crew.bob, "когда-нибудь потом")
    assert refused.text == ru("errors.invalid.due_date")
    confirmed = await say(crew.bob, "завтра 18:00")

    task = await task_row(committing_factory, crew.acme_id, 1)
    assert task.due_at is not None
    local = task.due_at.astimezone(MOSCOW)
    tomorrow = (utcnow().astimezone(MOSCOW) + timedelta(days=1)).date()
    assert (local.date(), local.strftime("%H:%M")) == (tomorrow, "18:00")
    shown = format_due(task.due_at, "Europe/Moscow", Language.RU)
    assert confirmed.text == ru("work.due.set", number=1, due=shown)
    assert ru("work.card.due", due=shown) in ((await current(crew.bob, card.message_id)).text or "")

    await press(crew.bob, card, "Срок")
    prompt = await crew.bob.wait_reply()
    assert prompt.buttons == ["Убрать срок"]
    _, prompt = await press(crew.bob, prompt, "Убрать срок")
    assert prompt.text == ru("work.due.cleared", number=1)
    card = await current(crew.bob, card.message_id)
    assert ru("work.card.due", due=ru("work.card.no_due")) in (card.text or "")
    assert (await task_row(committing_factory, crew.acme_id, 1)).due_at is None


async def test_due_dates_typed_in_english_are_shown_back_unambiguously(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Ship it")
    await press(crew.anna, card, "Due date")
    await crew.anna.wait_reply()
    confirmed = await say(crew.anna, "2030-12-01")
    assert confirmed.text == en("work.due.set", number=1, due="Sun, 1 Dec 2030, 23:59 MSK")

    await press(crew.anna, card, "Due date")
    prompt = await crew.anna.wait_reply()
    assert "Sun, 1 Dec 2030, 23:59 MSK" in (prompt.text or "")
    confirmed = await say(crew.anna, "tomorrow 6pm")
    task = await task_row(committing_factory, crew.acme_id, 1)
    assert task.due_at is not None
    assert task.due_at.astimezone(MOSCOW).hour == 18
    shown = format_due(task.due_at, "Europe/Moscow", Language.EN)
    assert confirmed.text == en("work.due.set", number=1, due=shown)
    past = await say(crew.anna, "/task 1")
    assert en("work.card.due", due=shown) in (past.text or "")


async def test_priority_project_and_description(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Fix the login page")
    _, card = await press(crew.anna, card, "Priority")
    answer, card = await press(crew.anna, card, "Urgent")
    assert en("work.card.priority", priority="Urgent") in (card.text or "")

    answer = await crew.anna.click(card.message_id, card.callback_data("Project"))
    assert alert(answer) == en("work.task.no_projects")
    anna = await actor(committing_factory, crew.anna_id, crew.acme_id)
    async with unit_of_work(committing_factory) as session:
        await projects.create_project(session, actor=anna, name="Website & <Co>")
    _, card = await press(crew.anna, card, "Project")
    _, card = await press(crew.anna, card, "Website & <Co>")
    assert "Project: Website & <Co>\n" in (card.text or "")

    await press(crew.anna, card, "Description")
    await crew.anna.wait_reply()
    description = "Steps:\n1. open /login\n2. <b>see</b> the error & cry 😢\n" + "ש" * 3000
    confirmed = await say(crew.anna, description)
    assert confirmed.text == en("work.description.set", number=1)
    card = await current(crew.anna, card.message_id)
    assert "2. <b>see</b> the error & cry 😢" in (card.text or "")
    assert (card.text or "").endswith("…")

    task = await task_row(committing_factory, crew.acme_id, 1)
    assert (task.priority, task.description) == (TaskPriority.URGENT, description)
    await press(crew.anna, card, "Description")
    prompt = await crew.anna.wait_reply()
    _, prompt = await press(crew.anna, prompt, "Remove the description")
    assert prompt.text == en("work.description.cleared", number=1)
    _, card = await press(crew.anna, card, "Project")
    _, card = await press(crew.anna, card, "No project")
    task = await task_row(committing_factory, crew.acme_id, 1)
    assert (task.description, task.project_id) == (None, None)


async def test_a_canceled_task_offers_only_its_status_and_comments(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Old idea")
    other_copy = await say(crew.anna, "/task 1")
    _, card = await press(crew.anna, card, "Status")
    _, card = await press(crew.anna, card, "Canceled")
    assert card.buttons == ["Status", "Comment", "Comments"]

    for label in ("Priority", "Assignee", "Due date", "Project", "Description"):
        answer, _ = await press(crew.anna, other_copy, label)
        assert alert(answer) == en("work.task.canceled", number=1), label
    assert (await task_row(committing_factory, crew.acme_id, 1)).status is TaskStatus.CANCELED

    _, card = await press(crew.anna, card, "Status")
    _, card = await press(crew.anna, card, "To do")
    assert card.buttons[:2] == ["Status", "Priority"]
    answer, _ = await press(crew.anna, other_copy, "Priority")
    assert answer is not None
    assert not answer.show_alert


async def test_the_assignee_and_project_pickers_page_through_long_lists(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    anna = await actor(committing_factory, crew.anna_id, crew.acme_id)
    async with unit_of_work(committing_factory) as session:
        invite = await invites.create_invite(session, actor=anna)
        for number in range(9):
            newcomer = await users.sync_from_telegram(
                session,
                telegram_id=9_000_000 + number,
                first_name=f"Member {number}",
                last_name=None,
                username=None,
                language_code="en",
            )
            await invites.join_by_token(session, user=newcomer, token=invite.token)
        for number in range(10):
            await projects.create_project(session, actor=anna, name=f"Project {number:02d}")
    card = await say(crew.anna, "/new Spread the work")

    _, card = await press(crew.anna, card, "Assignee")
    assert card.buttons[-3:] == ["Member 5", "Next ›", "« Back"]
    _, card = await press(crew.anna, card, "Next ›")
    assert card.buttons == ["Member 6", "Member 7", "Member 8", "‹ Previous", "« Back"]
    _, card = await press(crew.anna, card, "Member 8")
    assert en("work.card.assignee", name="Member 8") in (card.text or "")

    _, card = await press(crew.anna, card, "Project")
    _, card = await press(crew.anna, card, "Next ›")
    assert card.buttons == ["Project 08", "Project 09", "‹ Previous", "« Back"]
    _, card = await press(crew.anna, card, "Project 09")
    assert "Project: Project 09" in (card.text or "")
