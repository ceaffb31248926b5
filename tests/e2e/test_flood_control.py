"""Past Telegram's flood limits the bot waits the time Telegram asks for: no reply is lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.e2e.conftest import RunningBot
from tgemulator import EmulatorServer
from tgemulator.client import Person

People = Callable[..., Awaitable[Person]]


async def test_replies_past_the_per_chat_limit_are_delayed_not_dropped(
    polling_bot: RunningBot, people: People, telegram: EmulatorServer
) -> None:
    telegram.flood.enabled = True
    telegram.flood.private_per_second = 4.0
    telegram.flood.private_burst = 1
    anna = await people("Anna", language_code="en")

    for _ in range(3):
        await anna.send("/help")
    replies = await anna.wait_replies(3, timeout=15)

    assert len(replies) == 3
    refused = [call for call in telegram.calls if call.error_code == 429]
    assert refused, "the test must actually hit the flood limit"
    assert all(call.chat_id == anna.chat_id for call in refused)
