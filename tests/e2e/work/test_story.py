"""The whole story of the product's first day, through the local Bot API.

Olga founds "Рога & Копыта" and invites Max (through the services, so that this story does not
depend on the onboarding screens); Max joins. Olga creates a project and a task in it and gives
it to Max; Max finds it in his tasks, comments, and sets it done; Olga is told, and reads it all
in the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from teamtasks.bot import outbox
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models.enums import NotificationStatus, TaskStatus
from teamtasks.services import companies, invites
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import (
    en,
    enrol,
    notifications_for,
    press,
    reply_containing,
    ru,
    say,
    task_row,
)
from tests.services.helpers import actor_of
from tgemulator.client import Person

People = Callable[..., Awaitable[Person]]


async def test_a_team_runs_its_first_task_from_creation_to_done(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    olga = await people("Olga", username="olga", language_code="ru")
    max_ = await people("Max", username="max", language_code="en")
    async with unit_of_work(committing_factory) as session:
        owner = await enrol(session, olga, "ru")
        company = await companies.create_company(session, user=owner, name="Рога & Копыта")
        invite = await invites.create_invite(session, actor=await actor_of(session, owner, company))
        newcomer = await enrol(session, max_, "en")
        joined = await invites.join_by_token(session, user=newcomer, token=invite.token)
    assert joined.joined

    # Olga creates the project and the task in it, and gives the task to Max.
    projects = await say(olga, "/projects")
    await press(olga, projects, "Новый проект")
    await olga.wait_reply()
    project = await say(olga, "Сайт")
    await press(olga, project, "Новая задача")
    await olga.wait_reply()
    card = await say(olga, "Починить вход")
    assert "Проект: Сайт" in (card.text or "")
    _, card = await press(olga, card, "Исполнитель")
    _, card = await press(olga, card, "Max @max")
    assert ru("work.card.assignee", name="Max") in (card.text or "")

    # Max finds it in his tasks, comments, and sets it done.
    await max_.send("/my")
    mine = await reply_containing(max_, en("work.list.my"))
    assert mine.buttons[0] == "#1 Починить вход"
    await press(max_, mine, "#1 Починить вход")
    card = await reply_containing(max_, "#1 · Починить вход")
    await press(max_, card, "Comment")
    await reply_containing(max_, en("work.ask.comment", number=1))
    await max_.send("Fixed: the session cookie had expired. Please check.")
    await reply_containing(max_, en("work.comment.added", number=1))
    _, card = await press(max_, card, "Status")
    answer, card = await press(max_, card, "Done")
    assert answer is not None
    assert answer.text == en("work.toast.saved")
    assert en("work.card.status", status="Done") in (card.text or "")
    assert "Fixed: the session cookie had expired." in (card.text or "")

    # Olga is told, and reads it in the audit log.
    task = await task_row(committing_factory, company.id, 1)
    assert (task.status, task.assignee_id, task.author_id) == (
        TaskStatus.DONE,
        newcomer.id,
        owner.id,
    )
    await outbox.drain()
    told = await notifications_for(committing_factory, owner.id)
    assert [row.kind for row in told] == ["task.commented", "task.status_changed"]
    assert all(row.status is NotificationStatus.SENT for row in told)
    seen_by_owner = [m.text or "" for m in await olga.messages() if m.from_bot]
    assert any(
        "Рога & Копыта · #1 Починить вход" in text and "Готово" in text for text in seen_by_owner
    )
    assert "Готово" in told[1].text
    assert "Рога &amp; Копыта · #1 Починить вход" in told[1].text
    assert [row.kind for row in await notifications_for(committing_factory, newcomer.id)] == [
        "task.assigned"
    ]

    await olga.send("/audit")
    log = await reply_containing(olga, ru("work.audit.title", timezone="Europe/Moscow"))
    text = log.text or ""
    assert "Max: сменил(а) статус задачи — #1 К выполнению → Готово" in text
    assert "Max: прокомментировал(а) задачу" in text
    assert "Olga: назначил(а) задачу" in text
    assert "Olga: создал(а) задачу — #1" in text
    assert "Olga: создал(а) проект — Сайт" in text
    assert "Max: присоединился(-лась) — участник" in text
