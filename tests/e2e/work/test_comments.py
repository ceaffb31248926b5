"""Comments: added from the card, the latest ones on the card, all of them page by page."""

from __future__ import annotations

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.services import comments
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import (
    Crew,
    actor,
    current,
    en,
    new_task,
    notifications_for,
    press,
    ru,
    say,
)


async def test_a_comment_from_the_card_shows_on_it_and_tells_the_author(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Fix the login page", assignee_id=crew.bob_id)
    card = await say(crew.bob, "/task 1")

    await press(crew.bob, card, "Комментировать")
    prompt = await crew.bob.wait_reply()
    assert prompt.text == ru("work.ask.comment", number=1)
    assert (await say(crew.bob, "\u200b")).text == ru("errors.invalid.empty")
    added = await say(crew.bob, "Готово, проверьте <b>пожалуйста</b> & 👍\nשלום")

    assert added.text == ru("work.comment.added", number=1)
    card = await current(crew.bob, card.message_id)
    assert ru("work.card.comments") in (card.text or "")
    assert "Bob · " in (card.text or "")
    assert "Готово, проверьте <b>пожалуйста</b> & 👍\nשלום" in (card.text or "")
    told = await notifications_for(committing_factory, crew.anna_id)
    assert [row.kind for row in told] == ["task.commented"]
    assert "&lt;b&gt;пожалуйста&lt;/b&gt; &amp; 👍" in told[0].text


async def test_all_comments_are_paged_newest_first_and_lead_back_to_the_card(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Discuss")
    anna = await actor(committing_factory, crew.anna_id, crew.acme_id)
    async with unit_of_work(committing_factory) as session:
        for number in range(1, 8):
            await comments.add_comment(session, actor=anna, number=1, text=f"Note {number} " * 60)
    card = await say(crew.anna, "/task 1")
    assert (card.text or "").count("Anna · ") == 3

    _, page = await press(crew.anna, card, "Comments")
    assert page.message_id == card.message_id
    assert (page.text or "").startswith(en("work.comments.title", number=1) + " · 1–5")
    assert (page.text or "").index("Note 7") < (page.text or "").index("Note 3")
    _, page = await press(crew.anna, page, "Next ›")
    assert "· 6–7" in (page.text or "")
    assert "Note 1" in (page.text or "")
    _, card = await press(crew.anna, page, "« Task")
    assert "#1 · Discuss" in (card.text or "")

    empty = await say(crew.anna, "/new Quiet")
    _, page = await press(crew.anna, empty, "Comments")
    assert en("work.comments.empty") in (page.text or "")
