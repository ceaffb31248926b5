"""Maintenance jobs: the orphan-file sweep, pending payments reconciled with their provider,
Telegram Stars owed back refunded, and old records of handled updates deleted.

A webhook can be lost (the provider gave up, our endpoint was down): a payment still pending a
while after it was created is fetched back from its provider and, if the provider has decided
it, settled exactly as the webhook would have (teamtasks/services/billing.settle, which records
the event once, so a webhook arriving later changes nothing). Only providers that can be asked
(`can_fetch`: not the sandbox, not Stars) are, and only for payments younger than
RECONCILE_WITHIN. Then open invoices past their expiry are expired and their pending payments
canceled, so abandoned checkouts do not stay pending forever.

The Stars refunds that are due (Telegram did not take them when the bot asked:
teamtasks/services/owed_refunds.py) are asked of Telegram again by a job of their own, every
minute by default, at most REFUND_BATCH a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import select

from teamtasks.billing.base import (
    Notification,
    NotificationRejectedError,
    ProviderUnavailableError,
)
from teamtasks.billing.registry import create_registry
from teamtasks.billing.stars import try_refund
from teamtasks.db import unit_of_work
from teamtasks.models import Payment
from teamtasks.models.enums import PaymentStatus
from teamtasks.observability.metrics import observe_stars_refund
from teamtasks.services import billing, files, owed_refunds, updates
from teamtasks.services.errors import PaymentRejected
from teamtasks.services.owed_refunds import Outcome
from teamtasks.storage import open_storage
from teamtasks.worker.context import WorkerContext

log = structlog.stdlib.get_logger("teamtasks.worker")

RECONCILE_AFTER = timedelta(minutes=5)
"""A payment younger than this is left to its webhook."""
RECONCILE_WITHIN = billing.INVOICE_TTL * 2
"""An older pending payment is not asked about: its invoice has expired and it is canceled."""
RECONCILE_BATCH = 100
REFUND_BATCH = 50
"""Owed refunds asked of Telegram per run at most; the next run takes the rest."""


@dataclass
class SweepReport:
    removed: int
    missing: int
    young: int


@dataclass
class ReconcileReport:
    checked: int = 0
    settled: int = 0
    unavailable: int = 0
    refused: int = 0
    expired: int = 0
    """Invoices expired (their pending payments canceled)."""


@dataclass
class PruneReport:
    updates: int
    """Records of handled updates deleted (older than services.updates.KEEP)."""


@dataclass
class RefundReport:
    refunded: int = 0
    deferred: int = 0
    refused: int = 0


async def sweep_files(ctx: WorkerContext) -> SweepReport:
    async with open_storage(ctx.settings) as storage, unit_of_work(ctx.factory) as session:
        report = await files.sweep(session, storage=storage, now=ctx.clock())
    for item in report.missing:
        log.warning("file_object_missing", file_id=item.file_id, company_id=item.company_id)
    return SweepReport(len(report.removed), len(report.missing), report.young)


async def reconcile_payments(ctx: WorkerContext) -> ReconcileReport:
    now = ctx.clock()
    registry = create_registry(ctx.settings)
    report = ReconcileReport()
    async with ctx.factory() as session:
        pending = (
            await session.execute(
                select(Payment.provider, Payment.provider_payment_id)
                .where(
                    Payment.status == PaymentStatus.PENDING,
                    Payment.provider.in_(registry.fetchable),
                    Payment.created_at <= now - RECONCILE_AFTER,
                    Payment.created_at > now - RECONCILE_WITHIN,
                )
                .order_by(Payment.created_at)
                .limit(RECONCILE_BATCH)
            )
        ).all()
    for provider_name, payment_id in pending:
        report.checked += 1
        try:
            state = await registry.get(provider_name).fetch_payment(payment_id)
        except ProviderUnavailableError as exc:
            report.unavailable += 1
            log.info("payment_not_reconciled", provider=provider_name, error=str(exc))
            continue
        except NotificationRejectedError as exc:
            # The provider knows no such payment: left pending until its invoice expires.
            report.refused += 1
            log.warning("payment_refused", provider=provider_name, reason=exc.reason)
            continue
        if state.status is PaymentStatus.PENDING:
            continue
        notification = Notification(
            event_key=f"reconcile:{payment_id}:{state.status.value}",
            event_type="payment.reconciled",
            provider_payment_id=payment_id,
            payload={"status": state.status.value},
            state=state,
        )
        try:
            async with unit_of_work(ctx.factory) as session:
                settled = await billing.settle(session, provider_name, notification, state, now=now)
        except PaymentRejected as exc:
            report.refused += 1
            log.warning("payment_refused", provider=provider_name, reason=exc.reason)
            continue
        if settled is billing.Settlement.APPLIED:
            report.settled += 1
    while True:
        async with unit_of_work(ctx.factory) as session:
            expired = await billing.expire_invoices(session, now=now)
        report.expired += expired
        if expired < billing.EXPIRE_BATCH:
            return report


async def refund_owed(ctx: WorkerContext) -> RefundReport:
    """Ask Telegram for the Stars refunds that are due, each in its own unit of work (its row
    locked meanwhile, so another worker skips it), until one is not taken."""
    report = RefundReport()
    for _ in range(REFUND_BATCH):
        if ctx.stopping.is_set():
            break
        async with unit_of_work(ctx.factory) as session:
            owed = await owed_refunds.next_due(session, now=ctx.clock())
            if owed is None:
                break
            attempt = await try_refund(ctx.bot, payer_id=owed.payer_id, charge_id=owed.charge_id)
            outcome = owed_refunds.record(owed, attempt, now=ctx.clock())
        observe_stars_refund(outcome)
        setattr(report, outcome.value, getattr(report, outcome.value) + 1)
        if outcome is Outcome.DEFERRED:
            # Telegram is likely failing them all (each up to REFUND_TIMEOUT): the rest wait
            # for the next run, this one for its pause.
            break
    return report


async def prune(ctx: WorkerContext) -> PruneReport:
    async with unit_of_work(ctx.factory) as session:
        forgotten = await updates.forget_before(session, cutoff=ctx.clock() - updates.KEEP)
    return PruneReport(updates=forgotten)
