"""Notifications written by an update reach their recipients after commit, once each: the bot
kicks the worker's delivery job (here the worker beside it, in this process), and the scheduled
sweep delivers whatever a lost kick left behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

from teamtasks.bot import outbox
from teamtasks.db import SessionFactory
from teamtasks.models import Company, Notification, User
from teamtasks.models.enums import NotificationStatus
from teamtasks.worker.broker import DELIVER_DUE
from tests.e2e.conftest import RunningBot, reply_text
from tests.support.routing import include_test_router
from tgemulator.client import Person

People = Callable[..., Awaitable[Person]]


def notifying_router() -> Router:
    """`/tell <telegram id> <text>` writes a notification for that person, then maybe fails."""
    router = Router(name="tell")

    @router.message(Command("tell"))
    async def tell(message: Message, command: CommandObject, session: AsyncSession) -> SendMessage:
        target, text = (command.args or "").split(" ", 1)
        company = Company(name="Acme")
        session.add(company)
        await session.flush()
        recipient = await session.scalar(select(User).where(User.telegram_id == int(target)))
        session.add(
            Notification(
                company_id=company.id,
                user_id=recipient.id if recipient else None,
                chat_id=int(target),
                kind="test",
                dedupe_key=f"tell:{message.message_id}",
                text=text,
            )
        )
        if text == "and fail":
            raise RuntimeError("the update fails after writing its notification")
        return message.answer("told")  # sent after commit, once delivery has begun

    return router


async def statuses(factory: SessionFactory) -> list[tuple[str, NotificationStatus]]:
    async with factory() as session:
        rows = await session.execute(select(Notification.text, Notification.status))
        return [(text, status) for text, status in rows]


async def test_a_notification_is_sent_after_commit_and_marked_sent(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    include_test_router(polling_bot.dispatcher, notifying_router())
    anna, boris = await people("Anna"), await people("Boris")
    await boris.send("/start")
    await boris.wait_reply()

    await anna.send(f"/tell {boris.id} Anna assigned you <b>#1</b>")

    assert await reply_text(anna) == "told"
    assert await reply_text(boris) == "Anna assigned you #1"
    await outbox.drain()
    async with committing_factory() as session:
        row = await session.scalar(select(Notification))
        assert row is not None
        await session.refresh(row)
    assert (row.status, row.attempts, row.sent_at is not None) == (NotificationStatus.SENT, 1, True)


async def test_a_rolled_back_update_sends_nothing(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    include_test_router(polling_bot.dispatcher, notifying_router())
    anna, boris = await people("Anna"), await people("Boris")
    await boris.send("/start")
    greeting = await boris.wait_reply()

    await anna.send(f"/tell {boris.id} and fail")
    await anna.wait_reply()  # the apology

    assert await statuses(committing_factory) == []
    assert [m.message_id for m in await boris.messages() if m.from_bot] == [greeting.message_id]


async def test_a_person_who_blocked_the_bot_is_marked_and_skipped(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    include_test_router(polling_bot.dispatcher, notifying_router())
    anna, boris = await people("Anna"), await people("Boris")
    await boris.send("/start")
    await boris.wait_reply()
    await boris.block()

    await anna.send(f"/tell {boris.id} hello")
    assert await reply_text(anna) == "told"
    await outbox.drain()

    async with committing_factory() as session:
        row = await session.scalar(select(Notification))
        user = await session.scalar(select(User).where(User.telegram_id == boris.id))
    assert row is not None
    assert user is not None
    assert row.status is NotificationStatus.FAILED
    assert "blocked" in (row.last_error or "")
    assert user.is_reachable is False


async def test_a_lost_kick_loses_nothing_the_scheduled_sweep_delivers(
    polling_bot: RunningBot,
    worker: AsyncBroker,
    people: People,
    committing_factory: SessionFactory,
) -> None:
    include_test_router(polling_bot.dispatcher, notifying_router())
    anna, boris = await people("Anna"), await people("Boris")
    await boris.send("/start")
    greeting = await boris.wait_reply()
    outbox.connect(None)  # the kick is lost (Redis was down, say): the bot sends nothing itself

    await anna.send(f"/tell {boris.id} still on its way")
    assert await reply_text(anna) == "told"
    await outbox.drain()
    assert await statuses(committing_factory) == [("still on its way", NotificationStatus.PENDING)]
    assert [m.message_id for m in await boris.messages() if m.from_bot] == [greeting.message_id]

    sweep: AsyncKicker[[], None] = AsyncKicker(DELIVER_DUE, worker, {})
    await sweep.kiq()  # the scheduler's next tick

    assert await reply_text(boris) == "still on its way"
    assert await statuses(committing_factory) == [("still on its way", NotificationStatus.SENT)]
