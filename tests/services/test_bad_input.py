"""What people type: empty, huge, emoji, right-to-left, markup; kept as given or refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.services import comments, companies, projects, task_lists, tasks
from teamtasks.services.errors import InvalidInput
from tests.services.helpers import Team, snapshot
from tests.support import factories

NameCall = Callable[[AsyncSession, Team, str], Awaitable[Any]]


async def _create_company(session: AsyncSession, team: Team, name: str) -> str:
    return (await companies.create_company(session, user=team.member, name=name)).name


async def _rename_company(session: AsyncSession, team: Team, name: str) -> str:
    return (await companies.rename_company(session, actor=team.owner_actor, name=name)).name


async def _create_project(session: AsyncSession, team: Team, name: str) -> str:
    return (await projects.create_project(session, actor=team.owner_actor, name=name)).name


async def _rename_project(session: AsyncSession, team: Team, name: str) -> str:
    project = await projects.rename_project(
        session, actor=team.owner_actor, project_id=team.project.id, name=name
    )
    return project.name


async def _create_task(session: AsyncSession, team: Team, name: str) -> str:
    return (await tasks.create_task(session, actor=team.member_actor, title=name)).title


NAME_CALLS: dict[str, tuple[NameCall, int]] = {
    "create_company": (_create_company, 100),
    "rename_company": (_rename_company, 100),
    "create_project": (_create_project, 100),
    "rename_project": (_rename_project, 100),
    "create_task": (_create_task, 256),
}

KEPT_AS_GIVEN = [
    "🚀 Launch 👨‍👩‍👧‍👦",
    "שלום עולם",
    "مرحبا بالعالم",
    "<b>Bold</b> & Co",
    "Tom & Jerry's <script>alert(1)</script>",
    "Ёлка № 1 — «кавычки»",
]


@pytest.mark.parametrize("value", KEPT_AS_GIVEN)
@pytest.mark.parametrize("call", NAME_CALLS.values(), ids=NAME_CALLS.keys())
async def test_unusual_names_are_stored_as_given(
    session: AsyncSession, acme: Team, call: tuple[NameCall, int], value: str
) -> None:
    function, _ = call
    assert await function(session, acme, f"  {value}\t") == value


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("", "errors.invalid.empty"),
        ("   \t ", "errors.invalid.empty"),
        ("\u200b\u200d", "errors.invalid.empty"),
        ("x" * 10_000, "errors.invalid.too_long"),
        ("two\nlines", "errors.invalid.line_breaks"),
        ("two\r\nlines", "errors.invalid.line_breaks"),
        ("bell\x07", "errors.invalid.control_characters"),
        ("nul\x00byte", "errors.invalid.control_characters"),
        ("line\u2028separator", "errors.invalid.control_characters"),
    ],
)
@pytest.mark.parametrize("call", NAME_CALLS.values(), ids=NAME_CALLS.keys())
async def test_unusable_names_are_refused_and_nothing_is_written(
    session: AsyncSession, acme: Team, call: tuple[NameCall, int], value: str, key: str
) -> None:
    function, _ = call
    before = await snapshot(session)
    with pytest.raises(InvalidInput) as refused:
        await function(session, acme, value)
    assert refused.value.key == key
    assert await snapshot(session) == before


@pytest.mark.parametrize("call", NAME_CALLS.values(), ids=NAME_CALLS.keys())
async def test_names_may_be_exactly_as_long_as_allowed(
    session: AsyncSession, acme: Team, call: tuple[NameCall, int]
) -> None:
    function, limit = call
    assert len(await function(session, acme, "я" * limit)) == limit
    with pytest.raises(InvalidInput) as refused:
        await function(session, acme, "я" * (limit + 1))
    assert refused.value.params == {"max": limit}


async def test_comments_keep_line_breaks_and_refuse_other_control_characters(
    session: AsyncSession, acme: Team
) -> None:
    number, actor = acme.task.number, acme.member_actor
    comment = await comments.add_comment(
        session, actor=actor, number=number, text="  first\r\nsecond\n\t<b>&</b> 🚀\n"
    )
    assert comment.text == "first\nsecond\n\t<b>&</b> 🚀"
    assert (
        len((await comments.add_comment(session, actor=actor, number=number, text="ж" * 4000)).text)
        == 4000
    )
    for text, key in [
        ("", "errors.invalid.empty"),
        ("ж" * 4001, "errors.invalid.too_long"),
        ("x" * 10_000, "errors.invalid.too_long"),
        ("escape \x1b[31m", "errors.invalid.control_characters"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await comments.add_comment(session, actor=actor, number=number, text=text)
        assert refused.value.key == key


async def test_descriptions_are_free_text_and_blank_clears_them(
    session: AsyncSession, acme: Team
) -> None:
    number, actor = acme.task.number, acme.member_actor
    task = await tasks.set_description(
        session, actor=actor, number=number, description="Steps:\n1. <open>\n2. & close"
    )
    assert task.description == "Steps:\n1. <open>\n2. & close"
    with pytest.raises(InvalidInput):
        await tasks.set_description(session, actor=actor, number=number, description="x" * 10_000)
    task = await tasks.set_description(session, actor=actor, number=number, description="  \n ")
    assert task.description is None


@pytest.mark.parametrize("query", ["", " ", "x" * 10_000, "a\x00b"])
async def test_unusable_search_text_is_refused(
    session: AsyncSession, acme: Team, query: str
) -> None:
    with pytest.raises(InvalidInput):
        await task_lists.search_tasks(session, actor=acme.member_actor, query=query)


async def test_a_company_created_from_a_name_of_markup_keeps_it(session: AsyncSession) -> None:
    anna = await factories.user(session, first_name="<i>Anna</i>")
    company = await companies.create_company(session, user=anna, name="<b>Acme</b> & Sons")
    assert company.name == "<b>Acme</b> & Sons"
