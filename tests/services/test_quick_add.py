"""`/new` lines: the title as typed, the first @mention as the assignee, a due date at the end
(read in the company's zone), and titles that only look like dates left alone."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.services import due_dates, quick_add
from teamtasks.services.errors import NotFound
from tests.services.helpers import NOW, Team, snapshot

ZONE = "Europe/Moscow"


def _due(text: str) -> object:
    return due_dates.parse_due(text, timezone=ZONE, now=NOW)


@pytest.mark.parametrize(
    ("line", "title", "username", "due"),
    [
        ("Fix the login page", "Fix the login page", None, None),
        ("Fix the login page @anna tomorrow 18:00", "Fix the login page", "anna", "tomorrow 18:00"),
        ("@Bob_K Починить вход завтра в 18:00", "Починить вход", "Bob_K", "завтра в 18:00"),
        ("Отчёт в пятницу", "Отчёт", None, "в пятницу"),
        ("Call the bank by friday, @anna", "Call the bank", "anna", "friday"),
        ("Release 2", "Release 2", None, None),
        ("Write the page", "Write the page", None, None),
        ("tomorrow", "tomorrow", None, None),
        ("Ping @teamtasks_bot about @anna", "Ping about", "anna", None),
        ("mail@example.com digest", "mail@example.com digest", None, None),
    ],
)
def test_a_line_is_read_into_title_assignee_and_due_date(
    line: str, title: str, username: str | None, due: str | None
) -> None:
    parsed = quick_add.parse(line, timezone=ZONE, now=NOW, ignore="teamtasks_bot")

    assert parsed.title == title
    assert parsed.username == username
    assert parsed.due_at == (_due(due) if due else None)


def test_without_a_title_required_the_whole_line_may_be_the_due_date() -> None:
    parsed = quick_add.parse("@anna friday", timezone=ZONE, now=NOW, titled=False)

    assert (parsed.title, parsed.username, parsed.due_at) == ("", "anna", _due("friday"))


async def test_a_mention_of_someone_outside_the_company_creates_nothing(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    globex.owner.username = "greg"
    acme.member.username = "bob"
    await session.flush()
    before = await snapshot(session)

    with pytest.raises(NotFound) as refused:
        await quick_add.create(
            session,
            actor=acme.owner_actor,
            line=quick_add.parse("Budget @greg", timezone=ZONE, now=NOW),
        )
    task = await quick_add.create(
        session,
        actor=acme.owner_actor,
        line=quick_add.parse("Budget @BOB", timezone=ZONE, now=NOW),
    )

    assert refused.value.key == "errors.not_found.mention"
    assert task.assignee_id == acme.member.id
    assert before["tasks"] == (await snapshot(session))["tasks"][:-1]


def test_a_text_mention_assigns_by_telegram_id_when_it_comes_first() -> None:
    line = "Call the bank Анна Петрова by friday, @bob"
    start = line.index("Анна")
    mention = quick_add.TextMention(start, start + len("Анна Петрова"), 7001)

    parsed = quick_add.parse(line, timezone=ZONE, now=NOW, mentions=[mention])

    assert (parsed.title, parsed.username, parsed.telegram_id) == (
        "Call the bank by friday, @bob",
        None,
        7001,
    )
    assert parsed.assigned
    later = quick_add.parse(
        "@bob asks Анна", timezone=ZONE, now=NOW, mentions=[quick_add.TextMention(10, 14, 7001)]
    )
    assert (later.title, later.username, later.telegram_id) == ("asks Анна", "bob", None)


async def test_a_text_mention_assigns_the_member_with_that_telegram_id(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    line = "Budget Greg"
    mentioned = quick_add.TextMention(7, 11, globex.owner.telegram_id)

    with pytest.raises(NotFound) as refused:
        await quick_add.create(
            session,
            actor=acme.owner_actor,
            line=quick_add.parse(line, timezone=ZONE, now=NOW, mentions=[mentioned]),
        )
    member = quick_add.TextMention(7, 11, acme.member.telegram_id)
    task = await quick_add.create(
        session,
        actor=acme.owner_actor,
        line=quick_add.parse(line, timezone=ZONE, now=NOW, mentions=[member]),
    )

    assert refused.value.key == "errors.not_found.mention"
    assert (task.title, task.assignee_id) == ("Budget", acme.member.id)


def test_a_text_mention_holding_an_at_sign_is_one_mention() -> None:
    line = "Sync with @dasha Petrova @bob"
    named = quick_add.TextMention(10, 24, 7002)  # "@dasha Petrova": a name, not a username

    parsed = quick_add.parse(line, timezone=ZONE, now=NOW, mentions=[named])

    assert (parsed.title, parsed.username, parsed.telegram_id) == ("Sync with @bob", None, 7002)
