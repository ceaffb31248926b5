"""Projects: create, rename, archive and restore, their tasks, paging, and who may manage them."""

from __future__ import annotations

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Project
from teamtasks.services import projects
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, actor, alert, database, en, press, ru, say


async def test_an_owner_creates_renames_archives_and_restores_a_project(
    any_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    listing = await say(crew.anna, "/projects")
    assert en("work.projects.empty") in (listing.text or "")
    await press(crew.anna, listing, "New project")
    assert (await crew.anna.wait_reply()).text == en("work.ask.project_name")
    view = await say(crew.anna, "<b>Website</b> & Co")
    assert (view.text or "").startswith(en("work.project.created"))
    assert "Project: <b>Website</b> & Co" in (view.text or "")
    assert view.buttons == ["Tasks", "New task", "Rename", "Archive", "« Projects"]

    await press(crew.anna, view, "Rename")
    await crew.anna.wait_reply()
    assert (await say(crew.anna, "\u200b")).text == en("errors.invalid.empty")
    view = await say(crew.anna, "Web site 🌐")
    assert "Project: Web site 🌐" in (view.text or "")

    await press(crew.anna, view, "New task")
    await crew.anna.wait_reply()
    card = await say(crew.anna, "Landing page")
    assert "Project: Web site 🌐" in (card.text or "")
    _, tasks = await press(crew.anna, view, "Tasks")
    assert tasks.buttons == ["#1 Landing page", "« Project"]
    _, view = await press(crew.anna, tasks, "« Project")

    answer, view = await press(crew.anna, view, "Archive")
    assert answer is not None
    assert answer.text == en("work.toast.archived")
    assert view.buttons == ["Tasks", "Rename", "Restore", "« Projects"]
    async with committing_factory() as session:
        project = await session.get(Project, int(view.callback_data("Rename").split(":")[2]))
        assert project is not None
        assert project.archived_at is not None
    _, listing = await press(crew.anna, view, "« Projects")
    assert listing.buttons == ["New project", "Show archived"]
    _, listing = await press(crew.anna, listing, "Show archived")
    assert "Web site 🌐 (archived)" in (listing.text or "")

    _, view = await press(crew.anna, listing, "Web site 🌐")
    answer, view = await press(crew.anna, view, "Restore")
    assert answer is not None
    assert answer.text == en("work.toast.restored")
    assert "New task" in view.buttons


async def test_a_new_task_is_refused_in_a_project_archived_since_its_button_was_sent(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    anna = await actor(committing_factory, crew.anna_id, crew.acme_id)
    async with unit_of_work(committing_factory) as session:
        project = await projects.create_project(session, actor=anna, name="Website")
    listing = await say(crew.bob, "/projects")
    _, view = await press(crew.bob, listing, "Website")
    async with unit_of_work(committing_factory) as session:
        await projects.archive_project(session, actor=anna, project_id=project.id)
    before = await database(committing_factory)

    answer, _ = await press(crew.bob, view, "Новая задача")
    assert alert(answer) == ru("errors.conflict.project_archived")
    assert await database(committing_factory) == before


async def test_projects_are_paged_and_members_see_no_managing_buttons(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    anna = await actor(committing_factory, crew.anna_id, crew.acme_id)
    async with unit_of_work(committing_factory) as session:
        for number in range(12):
            await projects.create_project(session, actor=anna, name=f"Project {number:02d}")

    first = await say(crew.bob, "/projects")
    assert "· 1–10" in (first.text or "")
    assert first.buttons[-2:] == ["Дальше ›", "Показать архивные"]
    _, second = await press(crew.bob, first, "Дальше ›")
    assert second.buttons[:3] == ["Project 10", "Project 11", "‹ Назад"]
    _, view = await press(crew.bob, second, "Project 10")
    assert view.buttons == ["Задачи", "Новая задача", "« Проекты"]

    project_id = view.callback_data("Задачи").split(":")[2]
    before = await database(committing_factory)
    for data in ("prj:new:0:0:0", f"prj:rn:{project_id}:0:0", f"prj:ar:{project_id}:0:0"):
        answer = await crew.bob.forged_callback(view.message_id, data)
        assert alert(answer) == ru("errors.forbidden.projects.manage")
    assert await database(committing_factory) == before
