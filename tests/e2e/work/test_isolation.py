"""Tenant isolation: every button and command of the work side, given another company's task
numbers, project ids or people, is refused clearly, and nothing changes anywhere."""

from __future__ import annotations

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import User
from teamtasks.services import companies, invites
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, actor, alert, database, en, new_task, press, say


def forged_task_buttons(number: int, crew: Crew) -> list[str]:
    """Every task button (and the comments list), aimed at task #number."""
    return [
        f"tsk:{number}:o:",
        f"tsk:{number}:c:",
        f"tsk:{number}:stm:",
        f"tsk:{number}:st:done",
        f"tsk:{number}:prm:",
        f"tsk:{number}:pr:urgent",
        f"tsk:{number}:asm:",
        f"tsk:{number}:as:{crew.anna_id}",
        f"tsk:{number}:as:",
        f"tsk:{number}:pjm:",
        f"tsk:{number}:pj:",
        f"tsk:{number}:due:",
        f"tsk:{number}:duex:",
        f"tsk:{number}:ds:",
        f"tsk:{number}:dsx:",
        f"tsk:{number}:cm:",
        f"cmt:{number}:0",
    ]


def forged_project_buttons(project_id: int) -> list[str]:
    return [
        f"prj:o:{project_id}:0:0",
        f"prj:rn:{project_id}:0:0",
        f"prj:ar:{project_id}:0:0",
        f"prj:rs:{project_id}:0:0",
        f"prj:nt:{project_id}:0:0",
        f"tl:pj:{project_id}:0",
    ]


async def test_another_companys_tasks_projects_and_people_are_out_of_reach(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Acme's own task")
    card = await say(crew.anna, "/task 1")
    before = await database(committing_factory)
    theirs = crew.globex_task

    refusals = [
        (data, en("errors.not_found.task", number=theirs))
        for data in forged_task_buttons(theirs, crew)
    ]
    refusals += [
        (data, en("errors.not_found.project"))
        for data in forged_project_buttons(crew.globex_project_id)
    ]
    refusals += [
        (f"tsk:1:as:{crew.greg_id}", en("errors.not_found.member")),
        (f"tsk:1:pj:{crew.globex_project_id}", en("errors.not_found.project")),
    ]
    for data, refusal in refusals:
        answer = await crew.anna.forged_callback(card.message_id, data)
        assert alert(answer) == refusal[:200], data
        assert await database(committing_factory) == before, data

    for command in (f"/task {theirs}", f"/task #{theirs}", f"#{theirs}"):
        assert (await say(crew.anna, command)).text == en("errors.not_found.task", number=theirs)
    assert (await say(crew.anna, "/search Globex")).buttons == []
    assert (await current_card(crew, card.message_id)) == card.text
    assert await database(committing_factory) == before


async def current_card(crew: Crew, message_id: int) -> str | None:
    for message in await crew.anna.messages():
        if message.message_id == message_id:
            return message.text
    return None


async def test_an_answer_typed_after_switching_company_is_not_applied_to_the_other_one(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    """Anna is asked for a due date of Acme's #1, joins Globex (which has a #1 too), switches."""
    await new_task(committing_factory, crew, "Acme's first")
    greg = await actor(committing_factory, crew.greg_id, crew.globex_id)
    async with unit_of_work(committing_factory) as session:
        globex_first = await companies.get_company(session, actor=greg)
        globex_first.task_counter = 0
    await new_task(committing_factory, crew, "Globex's first", by=crew.greg_id)
    card = await say(crew.anna, "/task 1")
    await press(crew.anna, card, "Due date")
    await crew.anna.wait_reply()

    async with unit_of_work(committing_factory) as session:
        invite = await invites.create_invite(session, actor=greg)
        anna = await session.get(User, crew.anna_id)
        assert anna is not None
        await invites.join_by_token(session, user=anna, token=invite.token)
    before = await database(committing_factory)

    assert (await say(crew.anna, "tomorrow 18:00")).text == en("work.input.other_company")
    assert await database(committing_factory) == before
    assert "no due date" in ((await say(crew.anna, "/task 1")).text or "")
