"""`/digest`: a person switches their morning digest off with the button and on by command."""

from __future__ import annotations

from sqlalchemy import select

from teamtasks.db import SessionFactory
from teamtasks.models import User
from tests.e2e.conftest import start_polling, stop_polling
from tests.worker.conftest import worker_settings
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient


async def digest_of(factory: SessionFactory, telegram_id: int) -> bool:
    async with factory() as session:
        value = await session.scalar(
            select(User.morning_digest).where(User.telegram_id == telegram_id)
        )
        assert value is not None
        return value


async def test_digest_is_switched_off_by_its_button_and_on_by_command(
    telegram: EmulatorServer,
    client: EmulatorClient,
    database_url: str,
    committing_factory: SessionFactory,
) -> None:
    telegram.flood.enabled = False
    settings = worker_settings(telegram, database_url)
    running, polling = await start_polling(telegram, settings, committing_factory)
    try:
        anna = await client.create_user("Anna", language_code="en")
        await anna.send("/digest")
        shown = await anna.wait_reply(timeout=10)
        assert shown.text == (
            "The morning digest is on: today's and overdue tasks arrive at 09:00 in the "
            "company's time zone."
        )

        await anna.click(shown.message_id, shown.callback_data("Turn off"))
        edited = next(m for m in await anna.messages() if m.message_id == shown.message_id)
        assert edited.text == "The morning digest is off. Turn it on: /digest on"
        assert await digest_of(committing_factory, anna.id) is False

        await anna.send("/digest on")
        assert (await anna.wait_reply(timeout=10)).text == (
            "The morning digest is on: at 09:00 in the company's time zone I will send today's "
            "and overdue tasks. Turn it off: /digest off"
        )
        assert await digest_of(committing_factory, anna.id) is True
    finally:
        await stop_polling(running, polling)
