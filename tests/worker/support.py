"""Rows to deliver, and what the local Telegram recorded of their delivery."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Company, Notification, User
from teamtasks.models.enums import NotificationStatus
from tgemulator import EmulatorServer
from tgemulator.client import Person

DUE_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
"""When written rows became due: before any time a test's clock shows, whatever today is."""


async def enrol(factory: SessionFactory, persons: Sequence[Person]) -> int:
    """Users for these people and a company for their notifications; the company's id."""
    async with unit_of_work(factory) as session:
        company = Company(name="Acme")
        session.add(company)
        session.add_all(
            User(telegram_id=person.id, first_name=person.first_name) for person in persons
        )
        await session.flush()
        return company.id


async def write(
    factory: SessionFactory, company_id: int, chat_ids: Sequence[int], *, prefix: str = "n"
) -> None:
    """One pending notification per entry, to that chat, with the text `<prefix><n>`, due."""
    async with unit_of_work(factory) as session:
        users = dict((await session.execute(select(User.telegram_id, User.id))).tuples().all())
        await session.execute(
            insert(Notification),
            [
                {
                    "company_id": company_id,
                    "user_id": users.get(chat_id),
                    "chat_id": chat_id,
                    "kind": "test",
                    "dedupe_key": f"{prefix}{n}",
                    "text": f"{prefix}{n}",
                    "next_attempt_at": DUE_SINCE,
                }
                for n, chat_id in enumerate(chat_ids)
            ],
        )


async def statuses(factory: SessionFactory) -> Counter[NotificationStatus]:
    async with factory() as session:
        rows = await session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        )
        return Counter(dict(rows.tuples().all()))


def bot_texts(telegram: EmulatorServer, chat_id: int) -> list[str]:
    """The texts of the bot's messages in a chat, in order."""
    chat = telegram.emulator.store.chats[chat_id]
    return [
        str(message.content.get("text", ""))
        for message in chat.messages.values()
        if message.from_bot
    ]


def sent_times(telegram: EmulatorServer) -> dict[int, list[float]]:
    """When each chat received a message from the bot (the server's own record of calls)."""
    times: dict[int, list[float]] = {}
    for call in telegram.calls:
        if call.method == "sendMessage" and call.ok and call.chat_id is not None:
            times.setdefault(call.chat_id, []).append(call.at)
    return times


def within(times: Sequence[float], per_second: float, burst: int) -> bool:
    """Whether messages at these times keep to a rate with a burst, counted as Telegram's
    flood control counts them: a bucket of `burst` messages refilled at the rate."""
    tokens, last = float(burst), None
    for at in sorted(times):
        if last is not None:
            tokens = min(float(burst), tokens + (at - last) * per_second)
        last = at
        tokens -= 1.0
        if tokens < -0.01:  # the server stamps a call as it answers, a hair after counting it
            return False
    return True
