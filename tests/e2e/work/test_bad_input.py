"""What a modified client or a careless finger sends: garbled buttons, impossible values,
files where text is wanted, the longest messages; each gets a clear answer, nothing changes."""

from __future__ import annotations

from teamtasks.db import SessionFactory
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import Crew, alert, database, en, new_task, press, say


async def test_garbled_and_impossible_button_data_is_answered_and_changes_nothing(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    await new_task(committing_factory, crew, "Fix the login page")
    card = await say(crew.anna, "/task 1")
    before = await database(committing_factory)
    stale = en("work.stale.button")
    choice = en("errors.invalid.choice")
    cases = {
        "tsk:abc:o:": stale,
        "tsk:1": stale,
        "tsk:1:explode:": stale,
        "tsk:1:o:extra:field": stale,
        "tl:zz::0": stale,
        "tl:st:todo:x": stale,
        "prj:ls:x:0:0": stale,
        "prj:": stale,
        "cmt:": stale,
        "aud:-": stale,
        "tsk:1:st:finished": choice,
        "tsk:1:pr:whenever": choice,
        "tsk:1:as:abc": choice,
        "tsk:1:pj:-4": choice,
        "tl:st:bogus:0": choice,
        "tl:my:weird:0": choice,
        "tsk:0:o:": en("errors.not_found.task", number=0),
        "tsk:-5:o:": en("errors.not_found.task", number=-5),
        "tsk:99999999999999999999:o:": en("errors.not_found.task", number=99999999999999999999),
        "tsk:1:as:99999999999999999999": choice,
        "tsk:1:as:9223372036854775808": en("errors.not_found.member"),
        "prj:o:0:0:0": en("errors.not_found.project"),
        "tl:st:todo:999999": en("work.stale.page"),
    }
    for data, refusal in cases.items():
        answer = await crew.anna.forged_callback(card.message_id, data)
        assert alert(answer) == refusal, data
    assert await database(committing_factory) == before

    answer = await crew.anna.forged_callback(card.message_id, "tl:st:todo:-10")
    assert answer is not None
    assert not answer.show_alert
    assert (await database(committing_factory)) == before


async def test_a_question_that_wants_text_says_so_and_stays_asked(
    polling_bot: RunningBot, crew: Crew, committing_factory: SessionFactory
) -> None:
    card = await say(crew.anna, "/new Fix the login page")
    await press(crew.anna, card, "Comment")
    await crew.anna.wait_reply()

    await crew.anna.send_file("screenshot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    assert (await crew.anna.wait_reply()).text == en("work.input.text_only")
    too_long = await say(crew.anna, "A" * 4096)
    assert too_long.text == en("errors.invalid.too_long", max=4000)
    widest = "🙂" * 2048
    assert (await say(crew.anna, widest)).text == en("work.comment.added", number=1)
    card = await say(crew.anna, "/task 1")
    assert "🙂" * 140 in (card.text or "")
    assert widest not in (card.text or "")
