"""The delivery job through the local Bot API, its flood control on: everything arrives once,
within Telegram's limits; blocked people are marked and skipped; failures are kept with why."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Notification, User
from teamtasks.models.enums import NotificationStatus
from teamtasks.services.outbox import MAX_ATTEMPTS, backoff
from teamtasks.worker.delivery import deliver
from tests.conftest import REDIS_URL
from tests.support.web import free_port
from tests.worker.conftest import Clock, ContextFactory
from tests.worker.support import bot_texts, enrol, sent_times, statuses, within, write
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Person

People = Callable[[int], Awaitable[list[Person]]]

SCALE = 10
"""Telegram's limits times ten, on both sides (the same ratios): 2,000 messages at 30 a second
would take 67 s; at 300 a second they take 7. bench/delivery.py runs at the real rate."""


async def test_two_thousand_notifications_to_200_chats_and_5_groups_arrive_once_within_limits(
    telegram: EmulatorServer,
    client: EmulatorClient,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    persons = await people(200)
    groups = [await client.create_group(f"Team {n}", persons[n : n + 2]) for n in range(5)]
    company_id = await enrol(committing_factory, persons)
    chats = [person.id for person in persons] * 9 + [group.id for group in groups] * 40
    await write(committing_factory, company_id, chats)
    flood = telegram.flood
    flood.overall_per_second *= SCALE
    flood.private_per_second *= SCALE
    flood.group_per_minute *= SCALE
    scaled = {
        "redis_url": REDIS_URL,
        "delivery_messages_per_second": 30.0 * SCALE,
        "delivery_chat_messages_per_second": 1.0 * SCALE,
        "delivery_group_messages_per_minute": 20.0 * SCALE,
    }
    workers = [await context(**scaled), await context(**scaled)]  # two share the limits

    reports = await asyncio.gather(*(deliver(worker) for worker in workers))

    assert await statuses(committing_factory) == {NotificationStatus.SENT: 2000}
    assert sum(report.sent for report in reports) == 2000
    for n, chat_id in enumerate(chats):
        texts = bot_texts(telegram, chat_id)
        assert sum(f"n{n}" in text.split("\n\n") for text in texts) == 1, f"n{n} in {chat_id}"
    for person in persons:
        assert len(bot_texts(telegram, person.id)) == 9
    group_texts = [bot_texts(telegram, group.id) for group in groups]
    assert all(len(texts) < 40 for texts in group_texts), "a group's backlog folds into digests"
    calls = telegram.calls
    for n, call in enumerate(calls):
        if call.error_code == 429:  # refused, then sent again: none is left unhandled
            assert any(later.ok and later.chat_id == call.chat_id for later in calls[n + 1 :])
    times = sent_times(telegram)
    for person in persons:
        assert within(times[person.id], flood.private_per_second, flood.private_burst)
    for group in groups:
        assert within(times[group.id], flood.group_per_minute / 60, flood.group_burst)
    everything = [at for chat_times in times.values() for at in chat_times]
    assert within(everything, flood.overall_per_second, flood.overall_burst)


async def test_a_person_who_blocked_the_bot_is_marked_and_nothing_more_is_sent_to_them(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    anna, boris = await people(2)
    company_id = await enrol(committing_factory, [anna, boris])
    await boris.block()
    await write(committing_factory, company_id, [boris.id, anna.id, boris.id])
    worker = await context()

    report = await deliver(worker)

    assert (report.sent, report.unreachable) == (1, 1)
    async with committing_factory() as session:
        rows = (await session.execute(select(Notification).order_by(Notification.id))).scalars()
        fates = [(row.text, row.status, row.last_error) for row in rows]
        user = await session.scalar(select(User).where(User.telegram_id == boris.id))
    assert fates == [
        ("n0", NotificationStatus.FAILED, "Forbidden: bot was blocked by the user"),
        ("n1", NotificationStatus.SENT, None),
        ("n2", NotificationStatus.SKIPPED, "recipient unreachable"),
    ]
    assert user is not None
    assert user.is_reachable is False
    assert bot_texts(telegram, anna.id) == ["n1"]

    await write(committing_factory, company_id, [boris.id], prefix="later")
    calls_before = len(telegram.calls)
    assert (await deliver(worker)).sent == 0
    assert len(telegram.calls) == calls_before, "nothing is even tried for a blocked person"
    assert await statuses(committing_factory) == {
        NotificationStatus.SENT: 1,
        NotificationStatus.FAILED: 1,
        NotificationStatus.SKIPPED: 2,
    }


async def test_past_the_flood_limit_the_chat_waits_the_retry_after_telegram_gives(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    """The server allows one message and then one a second; the worker believes in four a
    second, so Telegram refuses it and it waits as told."""
    (anna,) = await people(1)
    company_id = await enrol(committing_factory, [anna])
    await write(committing_factory, company_id, [anna.id] * 3)
    telegram.flood.private_burst = 1
    worker = await context(delivery_chat_messages_per_second=4.0)

    assert (await deliver(worker)).sent == 3

    assert bot_texts(telegram, anna.id) == ["n0", "n1", "n2"]
    calls = [call for call in telegram.calls if call.chat_id == anna.id]
    refused = [n for n, call in enumerate(calls) if call.error_code == 429]
    assert refused, "the test must hit the flood limit"
    for n in refused:
        retry = next(call for call in calls[n + 1 :] if call.ok)
        assert retry.at - calls[n].at >= 1.0, "retry_after is 1 s: the next try waits it out"
    assert within(sent_times(telegram)[anna.id], per_second=1.0, burst=1)


async def test_a_refused_message_fails_at_once_with_telegrams_reason(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    (anna,) = await people(1)
    company_id = await enrol(committing_factory, [anna])
    await write(committing_factory, company_id, [anna.id, -42])

    report = await deliver(await context())

    assert (report.sent, report.failed) == (1, 1)
    async with committing_factory() as session:
        row = await session.scalar(select(Notification).where(Notification.chat_id == -42))
    assert row is not None
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert row.last_error == "Bad Request: chat not found"


async def test_passing_failures_are_retried_with_backoff_then_kept_as_failed(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
    clock: Clock,
) -> None:
    """Telegram cannot be reached: each attempt waits longer, and the eighth is the last."""
    (anna,) = await people(1)
    company_id = await enrol(committing_factory, [anna])
    await write(committing_factory, company_id, [anna.id])
    worker = await context(
        telegram_api_url=f"http://127.0.0.1:{free_port()}", delivery_chat_messages_per_second=100.0
    )

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert (await deliver(worker)).retried == 1
        assert (await deliver(worker)).retried == 0, "not before its backoff"
        clock.advance(backoff(attempt))

    async with committing_factory() as session:
        row = await session.scalar(select(Notification))
    assert row is not None
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, MAX_ATTEMPTS)
    assert "Cannot connect" in (row.last_error or "")
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(MAX_ATTEMPTS) == timedelta(hours=1)
    assert Counter(bot_texts(telegram, anna.id)) == Counter()


async def test_a_stored_keyboard_that_is_not_one_fails_its_row_and_every_other_chat_gets_its_own(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    anna, boris = await people(2)
    company_id = await enrol(committing_factory, [anna, boris])
    await write(committing_factory, company_id, [anna.id, boris.id, anna.id, boris.id])
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            update(Notification)
            .where(Notification.text == "n1")
            .values(reply_markup={"inline_keyboard": "not a keyboard"})
        )
    worker = await context(delivery_chat_messages_per_second=4.0)

    report = await deliver(worker)

    assert (report.sent, report.failed) == (3, 1)
    assert bot_texts(telegram, anna.id) == ["n0", "n2"]
    assert bot_texts(telegram, boris.id) == ["n3"]
    async with committing_factory() as session:
        row = await session.scalar(select(Notification).where(Notification.text == "n1"))
    assert row is not None
    assert (row.status, row.last_error) == (
        NotificationStatus.FAILED,
        "invalid reply_markup.inline_keyboard: Input should be a valid list",
    )


async def test_when_recording_one_chats_message_fails_the_other_chats_are_still_sent_once(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    context: ContextFactory,
) -> None:
    """Anna's message goes, but marking it sent fails; Boris's three, paced a second apart,
    are all sent and marked before the job gives up, so no run sends them again."""
    anna, boris = await people(2)
    company_id = await enrol(committing_factory, [anna, boris])
    await write(committing_factory, company_id, [anna.id, boris.id, boris.id, boris.id])
    worker = await context()
    async with unit_of_work(committing_factory) as session:
        await session.execute(text(REFUSE_SENT.format(chat_id=anna.id)))
        await session.execute(text(REFUSE_SENT_TRIGGER))
    try:
        with pytest.raises(ExceptionGroup) as raised:
            await deliver(worker)
    finally:
        async with unit_of_work(committing_factory) as session:
            await session.execute(text("DROP FUNCTION refuse_sent() CASCADE"))

    assert raised.group_contains(DBAPIError, match="recording refused")
    async with committing_factory() as session:
        rows = await session.execute(
            select(Notification.text, Notification.status).order_by(Notification.id)
        )
        fates = rows.tuples().all()
    assert fates == [
        ("n0", NotificationStatus.PENDING),  # sent, unrecorded: its lease lapses, it goes again
        ("n1", NotificationStatus.SENT),
        ("n2", NotificationStatus.SENT),
        ("n3", NotificationStatus.SENT),
    ]
    assert bot_texts(telegram, boris.id) == ["n1", "n2", "n3"]


REFUSE_SENT = """
CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.chat_id = {chat_id} AND NEW.status::text = 'sent' THEN
    RAISE EXCEPTION 'recording refused';
  END IF;
  RETURN NEW;
END $$
"""
REFUSE_SENT_TRIGGER = (
    "CREATE TRIGGER refuse_sent BEFORE UPDATE ON notifications "
    "FOR EACH ROW EXECUTE FUNCTION refuse_sent()"
)
