"""Stars owed back, asked of the local Bot API by the worker's refund job until Telegram takes
them: at once when due; again after a pause that doubles while Telegram fails (its own errors,
a proxy's HTML page, flood control, whose wait is kept); never again once Telegram refuses for
good (logged and counted for an operator); and never by two workers at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import Bot
from aiogram.types import LabeledPrice
from prometheus_client import REGISTRY
from sqlalchemy import select
from structlog.testing import capture_logs

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import OwedRefund
from teamtasks.services import owed_refunds
from teamtasks.worker import maintenance
from tests.worker.conftest import Clock, ContextFactory
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Person
from tgemulator.errors import GatewayError, too_many_requests

STARS = 650


async def paid_charge(bot: Bot, client: EmulatorClient) -> tuple[Person, str]:
    """Anna pays a Stars invoice of the bot's in the local Telegram; Anna and the charge id."""
    anna = await client.create_user("Anna")
    await anna.send("/start")
    invoice = await bot.send_invoice(
        anna.id,
        "Team plan",
        "30 days",
        "inv1_test",
        currency="XTR",
        prices=[LabeledPrice(label="Team", amount=STARS)],
    )
    paying = asyncio.create_task(anna.pay(invoice.message_id))
    offset = None
    while not paying.done():
        for update in await bot.get_updates(offset=offset, timeout=1):
            offset = update.update_id + 1
            if update.pre_checkout_query is not None:
                await bot.answer_pre_checkout_query(update.pre_checkout_query.id, ok=True)
    result = await paying
    assert result.status == "paid"
    assert result.telegram_payment_charge_id is not None
    return anna, result.telegram_payment_charge_id


async def owe(factory: SessionFactory, clock: Clock, payer_id: int, charge_id: str) -> int:
    async with unit_of_work(factory) as session:
        owed = await owed_refunds.owe(
            session,
            charge_id=charge_id,
            payer_id=payer_id,
            amount=STARS,
            reason="charged twice",
            now=clock.now,
        )
        return owed.id


async def row(factory: SessionFactory, owed_id: int) -> OwedRefund:
    async with factory() as session:
        owed = await session.scalar(select(OwedRefund).where(OwedRefund.id == owed_id))
    assert owed is not None
    return owed


def refused_count() -> float:
    """Refunds Telegram refused for good, as /metrics counts them."""
    value = REGISTRY.get_sample_value("teamtasks_stars_refunds_total", {"outcome": "refused"})
    return value or 0.0


def refund_calls(telegram: EmulatorServer) -> int:
    return sum(call.method == "refundStarPayment" for call in telegram.calls)


async def test_a_due_refund_is_given_back(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
) -> None:
    ctx = await context()
    anna, charge_id = await paid_charge(ctx.bot, client)
    owed_id = await owe(committing_factory, clock, anna.id, charge_id)

    report = await maintenance.refund_owed(ctx)

    assert (report.refunded, report.deferred, report.refused) == (1, 0, 0)
    assert [payment["refunded"] for payment in await anna.payments()] == [True]
    owed = await row(committing_factory, owed_id)
    assert (owed.refunded_at, owed.failed_at, owed.attempts) == (clock.now, None, 1)


async def test_while_telegram_fails_the_refund_waits_longer_each_time(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
    telegram: EmulatorServer,
) -> None:
    ctx = await context()
    anna, charge_id = await paid_charge(ctx.bot, client)
    owed_id = await owe(committing_factory, clock, anna.id, charge_id)
    telegram.fail_next("refundStarPayment", times=2)
    first_failure = clock.now

    report = await maintenance.refund_owed(ctx)
    assert (report.refunded, report.deferred) == (0, 1)
    owed = await row(committing_factory, owed_id)
    assert owed.next_attempt_at == first_failure + timedelta(minutes=1)
    assert (owed.attempts, owed.refunded_at) == (1, None)
    assert "Internal Server Error" in (owed.last_error or "")

    clock.advance(timedelta(seconds=59))  # not due yet: Telegram is not asked
    await maintenance.refund_owed(ctx)
    assert refund_calls(telegram) == 1

    clock.advance(timedelta(seconds=1))
    report = await maintenance.refund_owed(ctx)
    assert report.deferred == 1
    owed = await row(committing_factory, owed_id)
    assert (owed.attempts, owed.next_attempt_at) == (2, clock.now + timedelta(minutes=2))

    clock.advance(timedelta(minutes=2))
    report = await maintenance.refund_owed(ctx)
    assert report.refunded == 1
    owed = await row(committing_factory, owed_id)
    assert (owed.attempts, owed.refunded_at, owed.last_error) == (3, clock.now, None)
    assert [payment["refunded"] for payment in await anna.payments()] == [True]
    assert refund_calls(telegram) == 3


async def test_a_run_stops_at_the_first_refund_telegram_does_not_take(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
    telegram: EmulatorServer,
) -> None:
    ctx = await context()
    anna, first_charge = await paid_charge(ctx.bot, client)
    other_payer, second_charge = await paid_charge(ctx.bot, client)
    first = await owe(committing_factory, clock, anna.id, first_charge)
    clock.advance(timedelta(seconds=1))
    second = await owe(committing_factory, clock, other_payer.id, second_charge)
    telegram.fail_next("refundStarPayment")

    report = await maintenance.refund_owed(ctx)

    assert (report.refunded, report.deferred) == (0, 1)
    assert refund_calls(telegram) == 1
    assert (await row(committing_factory, second)).attempts == 0
    report = await maintenance.refund_owed(ctx)  # the next run: the second one's turn
    assert (report.refunded, report.deferred) == (1, 0)
    assert (await row(committing_factory, second)).refunded_at == clock.now
    assert (await row(committing_factory, first)).refunded_at is None


def test_the_pause_doubles_up_to_six_hours() -> None:
    pauses = [owed_refunds.pause_after(attempts) for attempts in (1, 2, 3, 9, 10, 50)]
    assert pauses == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=256),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


async def test_a_refund_telegram_refuses_is_left_for_an_operator(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
    telegram: EmulatorServer,
) -> None:
    ctx = await context()
    anna = await client.create_user("Anna")
    owed_id = await owe(committing_factory, clock, anna.id, "stxunknowncharge")
    refused_before = refused_count()

    with capture_logs() as logs:
        report = await maintenance.refund_owed(ctx)

    assert (report.refunded, report.deferred, report.refused) == (0, 0, 1)
    owed = await row(committing_factory, owed_id)
    assert (owed.failed_at, owed.refunded_at) == (clock.now, None)
    assert "CHARGE_NOT_FOUND" in (owed.last_error or "")
    refused = [entry for entry in logs if entry["event"] == "stars_refund_refused"]
    assert [(entry["log_level"], entry["charge"], entry["amount"]) for entry in refused] == [
        ("error", "stxunknowncharge", STARS)
    ]
    assert refused_count() == refused_before + 1
    clock.advance(timedelta(days=2))
    await maintenance.refund_owed(ctx)
    assert refund_calls(telegram) == 1


async def test_a_refund_another_worker_is_asking_for_is_left_to_it(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
    telegram: EmulatorServer,
) -> None:
    ctx = await context()
    anna, charge_id = await paid_charge(ctx.bot, client)
    owed_id = await owe(committing_factory, clock, anna.id, charge_id)

    async with unit_of_work(committing_factory) as session:
        taken = await owed_refunds.next_due(session, now=clock.now)
        assert taken is not None
        assert taken.id == owed_id
        # Meanwhile another worker's run finds nothing it may ask for, without waiting.
        async with asyncio.timeout(10):
            report = await maintenance.refund_owed(ctx)
        assert (report.refunded, report.deferred, report.refused) == (0, 0, 0)
    assert refund_calls(telegram) == 0

    assert (await maintenance.refund_owed(ctx)).refunded == 1
    assert refund_calls(telegram) == 1


async def test_a_proxys_page_or_flood_control_defers_the_refund(
    context: ContextFactory,
    committing_factory: SessionFactory,
    clock: Clock,
    client: EmulatorClient,
    telegram: EmulatorServer,
) -> None:
    ctx = await context()
    anna, charge_id = await paid_charge(ctx.bot, client)
    owed_id = await owe(committing_factory, clock, anna.id, charge_id)
    telegram.fail_next("refundStarPayment", GatewayError(502))
    telegram.fail_next("refundStarPayment", too_many_requests(600))

    report = await maintenance.refund_owed(ctx)
    assert report.deferred == 1
    owed = await row(committing_factory, owed_id)
    assert (owed.attempts, owed.next_attempt_at) == (1, clock.now + timedelta(minutes=1))
    assert "502 Bad Gateway" in (owed.last_error or "")

    clock.advance(timedelta(minutes=1))
    report = await maintenance.refund_owed(ctx)
    assert report.deferred == 1
    owed = await row(committing_factory, owed_id)
    # Flood control asked for 10 minutes, longer than the 2 the pause would be.
    assert (owed.attempts, owed.next_attempt_at) == (2, clock.now + timedelta(minutes=10))

    clock.advance(timedelta(minutes=10))
    assert (await maintenance.refund_owed(ctx)).refunded == 1
    assert [payment["refunded"] for payment in await anna.payments()] == [True]
