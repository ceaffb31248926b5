"""Stars owed back, asked of the local Bot API by the worker's refund job until Telegram takes
them: at once when due; again after a pause that doubles while Telegram fails (its own errors,
a proxy's HTML page, flood control, whose wait is kept); never again once Telegram refuses for
good (logged and counted for an operator); and never by two workers at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram.types import LabeledPrice
from prometheus_client import REGISTRY
from sqlalchemy import select
from structlog.testing import capture_logs

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import OwedRefund
from teamtasks.services import owed_refunds
from teamtasks.worker import maintenance
from teamtasks.worker.context import WorkerContext
from tests.worker.conftest import Clock, ContextFactory
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Person
from tgemulator.errors import GatewayError, too_many_requests

STARS = 650


@dataclass
class Refunds:
    """The worker's context, the local Telegram and its people, and the debts a test writes."""

    ctx: WorkerContext
    telegram: EmulatorServer
    client: EmulatorClient
    factory: SessionFactory
    clock: Clock

    async def paid_charge(self) -> tuple[Person, str]:
        """A person pays a Stars invoice of the bot's; the person and the charge id."""
        bot = self.ctx.bot
        payer = await self.client.create_user("Anna")
        await payer.send("/start")
        invoice = await bot.send_invoice(
            payer.id,
            "Team plan",
            "30 days",
            "inv1_test",
            currency="XTR",
            prices=[LabeledPrice(label="Team", amount=STARS)],
        )
        paying = asyncio.create_task(payer.pay(invoice.message_id))
        offset = None
        while not paying.done():
            for update in await bot.get_updates(offset=offset, timeout=1):
                offset = update.update_id + 1
                if update.pre_checkout_query is not None:
                    await bot.answer_pre_checkout_query(update.pre_checkout_query.id, ok=True)
        result = await paying
        assert result.status == "paid"
        assert result.telegram_payment_charge_id is not None
        return payer, result.telegram_payment_charge_id

    async def owe(self, payer_id: int, charge_id: str) -> int:
        """The charge owed back from the clock's now; the debt's id."""
        async with unit_of_work(self.factory) as session:
            owed = await owed_refunds.owe(
                session,
                charge_id=charge_id,
                payer_id=payer_id,
                amount=STARS,
                reason="charged twice",
                now=self.clock.now,
            )
            return owed.id

    async def owed_charge(self) -> tuple[Person, int]:
        """A charge paid and owed back; its payer and the debt's id."""
        payer, charge_id = await self.paid_charge()
        return payer, await self.owe(payer.id, charge_id)

    async def row(self, owed_id: int) -> OwedRefund:
        async with self.factory() as session:
            owed = await session.scalar(select(OwedRefund).where(OwedRefund.id == owed_id))
        assert owed is not None
        return owed

    async def run(self) -> maintenance.RefundReport:
        """One run of the worker's refund job."""
        return await maintenance.refund_owed(self.ctx)

    def asked(self) -> int:
        """How many times Telegram was asked for a refund."""
        return sum(call.method == "refundStarPayment" for call in self.telegram.calls)


@pytest.fixture
async def refunds(
    context: ContextFactory,
    telegram: EmulatorServer,
    client: EmulatorClient,
    committing_factory: SessionFactory,
    clock: Clock,
) -> Refunds:
    return Refunds(await context(), telegram, client, committing_factory, clock)


def refused_count() -> float:
    """Refunds Telegram refused for good, as /metrics counts them."""
    value = REGISTRY.get_sample_value("teamtasks_stars_refunds_total", {"outcome": "refused"})
    return value or 0.0


def outcomes(report: maintenance.RefundReport) -> tuple[int, int, int]:
    return report.refunded, report.deferred, report.refused


async def test_a_due_refund_is_given_back(refunds: Refunds, clock: Clock) -> None:
    payer, owed_id = await refunds.owed_charge()

    assert outcomes(await refunds.run()) == (1, 0, 0)

    assert [payment["refunded"] for payment in await payer.payments()] == [True]
    owed = await refunds.row(owed_id)
    assert (owed.refunded_at, owed.failed_at, owed.attempts) == (clock.now, None, 1)


async def test_while_telegram_fails_the_refund_waits_longer_each_time(
    refunds: Refunds, clock: Clock
) -> None:
    payer, owed_id = await refunds.owed_charge()
    refunds.telegram.fail_next("refundStarPayment", times=2)
    first_failure = clock.now

    assert outcomes(await refunds.run()) == (0, 1, 0)
    owed = await refunds.row(owed_id)
    assert owed.next_attempt_at == first_failure + timedelta(minutes=1)
    assert (owed.attempts, owed.refunded_at) == (1, None)
    assert "Internal Server Error" in (owed.last_error or "")

    clock.advance(timedelta(seconds=59))  # not due yet: Telegram is not asked
    assert outcomes(await refunds.run()) == (0, 0, 0)
    assert refunds.asked() == 1

    clock.advance(timedelta(seconds=1))
    assert outcomes(await refunds.run()) == (0, 1, 0)
    owed = await refunds.row(owed_id)
    assert (owed.attempts, owed.next_attempt_at) == (2, clock.now + timedelta(minutes=2))

    clock.advance(timedelta(minutes=2))
    assert outcomes(await refunds.run()) == (1, 0, 0)
    owed = await refunds.row(owed_id)
    assert (owed.attempts, owed.refunded_at, owed.last_error) == (3, clock.now, None)
    assert [payment["refunded"] for payment in await payer.payments()] == [True]
    assert refunds.asked() == 3


async def test_a_proxys_page_or_flood_control_defers_the_refund(
    refunds: Refunds, clock: Clock
) -> None:
    payer, owed_id = await refunds.owed_charge()
    refunds.telegram.fail_next("refundStarPayment", GatewayError(502))
    refunds.telegram.fail_next("refundStarPayment", too_many_requests(600))

    assert outcomes(await refunds.run()) == (0, 1, 0)
    owed = await refunds.row(owed_id)
    assert (owed.attempts, owed.next_attempt_at) == (1, clock.now + timedelta(minutes=1))
    assert "502 Bad Gateway" in (owed.last_error or "")

    clock.advance(timedelta(minutes=1))
    assert outcomes(await refunds.run()) == (0, 1, 0)
    owed = await refunds.row(owed_id)
    # Flood control asked for 10 minutes, longer than the 2 the pause would be.
    assert (owed.attempts, owed.next_attempt_at) == (2, clock.now + timedelta(minutes=10))

    clock.advance(timedelta(minutes=10))
    assert outcomes(await refunds.run()) == (1, 0, 0)
    assert [payment["refunded"] for payment in await payer.payments()] == [True]


async def test_a_run_stops_at_the_first_refund_telegram_does_not_take(
    refunds: Refunds, clock: Clock
) -> None:
    _, first = await refunds.owed_charge()
    clock.advance(timedelta(seconds=1))
    _, second = await refunds.owed_charge()
    refunds.telegram.fail_next("refundStarPayment")

    assert outcomes(await refunds.run()) == (0, 1, 0)
    assert refunds.asked() == 1
    assert (await refunds.row(second)).attempts == 0

    assert outcomes(await refunds.run()) == (1, 0, 0)  # the next run: the second one's turn
    assert (await refunds.row(second)).refunded_at == clock.now
    assert (await refunds.row(first)).refunded_at is None


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
    refunds: Refunds, clock: Clock
) -> None:
    payer = await refunds.client.create_user("Anna")
    owed_id = await refunds.owe(payer.id, "stxunknowncharge")
    refused_before = refused_count()

    with capture_logs() as logs:
        assert outcomes(await refunds.run()) == (0, 0, 1)

    owed = await refunds.row(owed_id)
    assert (owed.failed_at, owed.refunded_at) == (clock.now, None)
    assert "CHARGE_NOT_FOUND" in (owed.last_error or "")
    refused = [entry for entry in logs if entry["event"] == "stars_refund_refused"]
    assert [(entry["log_level"], entry["charge"], entry["amount"]) for entry in refused] == [
        ("error", "stxunknowncharge", STARS)
    ]
    assert refused_count() == refused_before + 1
    clock.advance(timedelta(days=2))
    assert outcomes(await refunds.run()) == (0, 0, 0)
    assert refunds.asked() == 1


async def test_a_refund_another_worker_is_asking_for_is_left_to_it(
    refunds: Refunds, clock: Clock
) -> None:
    _, owed_id = await refunds.owed_charge()

    async with unit_of_work(refunds.factory) as session:
        taken = await owed_refunds.next_due(session, now=clock.now)
        assert taken is not None
        assert taken.id == owed_id
        # Meanwhile another worker's run finds nothing it may ask for, without waiting.
        async with asyncio.timeout(10):
            assert outcomes(await refunds.run()) == (0, 0, 0)
    assert refunds.asked() == 0

    assert outcomes(await refunds.run()) == (1, 0, 0)
    assert refunds.asked() == 1
