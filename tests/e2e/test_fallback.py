"""Whatever no handler takes still gets a clear answer, never silence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.e2e.conftest import RunningBot, reply_text
from tgemulator.client import Person

People = Callable[..., Awaitable[Person]]


async def test_unknown_commands_text_and_buttons_are_answered(
    polling_bot: RunningBot, people: People
) -> None:
    anna = await people("Anna", language_code="en")
    await anna.send("/start")
    greeting = await anna.wait_reply()

    await anna.send("/frobnicate")
    assert await reply_text(anna) == "There is no such command. Send /help to see what I can do."
    await anna.send("hello there")
    assert (await reply_text(anna)).startswith("I did not understand that.")
    answer = await anna.forged_callback(greeting.message_id, "zz:garbage")
    assert answer is not None
    assert answer.show_alert
    assert answer.text == "This button no longer works. Open the list again or send /help."
