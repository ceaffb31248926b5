"""Pending payments reconciled with YooKassa's local server, and open invoices expired, by the
maintenance job with the clock in the test's hands: abandoned Stars checkouts never starve a
YooKassa payment, a payment YooKassa does not know is counted and skipped, and invoices past
their expiry close with their pending payments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from teamtasks.billing.stars import StarsProvider
from teamtasks.billing.yookassa import YooKassaProvider
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, Invoice, Payment
from teamtasks.models.enums import PaymentProvider, PaymentStatus
from teamtasks.services import billing, companies
from teamtasks.services.actors import Actor, actor_in
from teamtasks.worker import maintenance
from teamtasks.worker.context import WorkerContext
from tests.support import factories
from tests.support.yookassa_server import SECRET_KEY, SHOP_ID, YooKassaServer
from tests.worker.conftest import Clock, ContextFactory


@pytest.fixture
async def shop() -> AsyncIterator[YooKassaServer]:
    server = YooKassaServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def ctx(context: ContextFactory, shop: YooKassaServer) -> WorkerContext:
    return await context(
        payment_providers="sandbox,yookassa,stars",
        yookassa_shop_id=SHOP_ID,
        yookassa_secret_key=SECRET_KEY,
        yookassa_api_url=shop.api_url,
    )


async def owner(factory: SessionFactory, clock: Clock) -> Actor:
    async with unit_of_work(factory) as session:
        anna = await factories.user(session, first_name="Anna")
        company = await companies.create_company(session, user=anna, name="Acme", now=clock.now)
        actor = await actor_in(session, user=anna, company_id=company.id)
    assert actor is not None
    return actor


async def checkout(
    factory: SessionFactory,
    ctx: WorkerContext,
    actor: Actor,
    *,
    provider: str,
    ago: timedelta,
    plan: str = "team",
) -> billing.Checkout:
    """A checkout of `plan` started `ago` before the clock's now."""
    chosen = (
        YooKassaProvider.from_settings(ctx.settings)
        if provider == PaymentProvider.YOOKASSA
        else StarsProvider()
    )
    started = ctx.clock() - ago
    async with unit_of_work(factory) as session:
        done = await billing.start_checkout(session, actor, plan, chosen, now=started)
        await session.execute(
            update(Payment).where(Payment.id == done.payment.id).values(created_at=started)
        )
    return done


async def statuses(factory: SessionFactory, payment_id: int) -> tuple[str, str]:
    async with factory() as session:
        payment = await session.get_one(Payment, payment_id)
        invoice = await session.get_one(Invoice, payment.invoice_id)
        return payment.status.value, invoice.status.value


async def test_abandoned_stars_checkouts_do_not_starve_yookassa(
    ctx: WorkerContext, committing_factory: SessionFactory, shop: YooKassaServer, clock: Clock
) -> None:
    actor = await owner(committing_factory, clock)
    stars = await checkout(
        committing_factory, ctx, actor, provider=PaymentProvider.STARS, ago=timedelta(hours=2)
    )
    # Many more abandoned Stars payments than one run asks about, all older than YooKassa's.
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            insert(Payment),
            [
                {
                    "company_id": actor.company_id,
                    "invoice_id": stars.invoice.id,
                    "provider": PaymentProvider.STARS,
                    "provider_payment_id": f"{stars.payment.provider_payment_id}-{n}",
                    "status": PaymentStatus.PENDING,
                    "amount_minor": 650,
                    "currency": "XTR",
                    "created_at": clock.now - timedelta(hours=2),
                }
                for n in range(maintenance.RECONCILE_BATCH)
            ],
        )
    paid = await checkout(
        committing_factory, ctx, actor, provider=PaymentProvider.YOOKASSA, ago=timedelta(hours=1)
    )
    shop.payments[paid.payment.provider_payment_id].status = "succeeded"  # its webhook was lost

    report = await maintenance.reconcile_payments(ctx)

    assert (report.checked, report.settled, report.unavailable) == (1, 1, 0)
    assert await statuses(committing_factory, paid.payment.id) == ("succeeded", "paid")
    assert await statuses(committing_factory, stars.payment.id) == ("pending", "open")


async def test_a_payment_yookassa_does_not_know_is_skipped(
    ctx: WorkerContext, committing_factory: SessionFactory, shop: YooKassaServer, clock: Clock
) -> None:
    actor = await owner(committing_factory, clock)
    unknown = await checkout(
        committing_factory, ctx, actor, provider=PaymentProvider.YOOKASSA, ago=timedelta(hours=2)
    )
    del shop.payments[unknown.payment.provider_payment_id]  # YooKassa answers 404
    paid = await checkout(
        committing_factory,
        ctx,
        actor,
        provider=PaymentProvider.YOOKASSA,
        ago=timedelta(hours=1),
        plan="business",
    )
    shop.payments[paid.payment.provider_payment_id].status = "succeeded"

    report = await maintenance.reconcile_payments(ctx)

    assert (report.checked, report.refused, report.settled) == (2, 1, 1)
    assert await statuses(committing_factory, paid.payment.id) == ("succeeded", "paid")
    assert (await statuses(committing_factory, unknown.payment.id))[0] == "pending"


async def test_invoices_past_their_expiry_close_with_their_payments(
    ctx: WorkerContext, committing_factory: SessionFactory, clock: Clock
) -> None:
    actor = await owner(committing_factory, clock)
    old = await checkout(
        committing_factory,
        ctx,
        actor,
        provider=PaymentProvider.STARS,
        ago=billing.INVOICE_TTL + timedelta(minutes=1),
    )
    fresh = await checkout(
        committing_factory,
        ctx,
        actor,
        provider=PaymentProvider.STARS,
        ago=timedelta(hours=1),
        plan="business",
    )

    report = await maintenance.reconcile_payments(ctx)
    again = await maintenance.reconcile_payments(ctx)

    assert (report.expired, again.expired) == (1, 0)
    assert await statuses(committing_factory, old.payment.id) == ("canceled", "expired")
    assert await statuses(committing_factory, fresh.payment.id) == ("pending", "open")
    async with committing_factory() as session:
        audited = (
            await session.scalars(
                select(AuditLog.entity_id).where(AuditLog.action == "billing.invoice_expired")
            )
        ).all()
    assert audited == [old.invoice.id]
