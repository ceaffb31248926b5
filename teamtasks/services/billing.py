"""Billing: checkout, and the settlement of payments, one path for every provider.

Checkout makes an Invoice (the plan's price for one period, in the provider's currency) and asks
the provider for a payment with an idempotency key, recording it as a Payment row. Settlement is
one function for every provider (sandbox, YooKassa, Stars): it records the provider's event
once, checks the provider's state of the payment against our row, marks the payment succeeded
and the invoice paid, extends the subscription (services/subscriptions.py has the rule), writes
the audit row and tells the owners (outbox rows, sent after commit), all in the caller's one
transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing.base import (
    Notification,
    PaymentRequest,
    PaymentState,
    Provider,
    ProviderUnavailableError,
)
from teamtasks.db import dialect_insert
from teamtasks.i18n import gettext
from teamtasks.models import AuditLog, Company, Invoice, Payment, Plan, WebhookEvent
from teamtasks.models.base import utcnow
from teamtasks.models.enums import InvoiceStatus, PaymentProvider, PaymentStatus
from teamtasks.services import audit, subscriptions
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import (
    AmountMismatch,
    CurrencyMismatch,
    PaymentProviderUnavailable,
    UnknownPayment,
)
from teamtasks.services.plans import get_plan, price_of

INVOICE_TTL = timedelta(days=1)
"""How long an unpaid invoice (and its payment page) may still be paid and is offered again."""
EXPIRE_BATCH = 1000
"""Invoices expired per statement, so one run never holds a long lock."""


class Settlement(StrEnum):
    APPLIED = "applied"
    """The payment's new state was taken: paid (subscription extended) or canceled."""
    DUPLICATE = "duplicate"
    """This event was settled before (a replay): nothing changed."""
    ALREADY_PAID = "already_paid"
    """A new event says the payment succeeded, but another event had paid it: nothing changed.
    For Stars this is a second charge of one invoice, which the caller gives back."""
    IGNORED = "ignored"
    """Recorded, but nothing to do (pending; a late cancel of a paid payment; a refund of a
    payment that was never paid here)."""


@dataclass(frozen=True)
class Checkout:
    invoice: Invoice
    payment: Payment
    plan: Plan
    confirmation_url: str | None
    """Where the payer confirms (the provider's page); None for Stars (a bot invoice)."""


async def start_checkout(
    session: AsyncSession,
    actor: Actor,
    plan_code: str,
    provider: Provider,
    *,
    now: datetime | None = None,
) -> Checkout:
    """An invoice for one period of the plan and the provider's payment for it (owners).

    An open invoice for the same plan and provider is offered again instead of a new one, so
    pressing the button twice makes one payment. The provider is asked with an idempotency key
    unique to the invoice; when it cannot be reached, nothing is kept.
    """
    require(actor, Permission.MANAGE_BILLING)
    now = now or utcnow()
    plan = await get_plan(session, code=plan_code)
    open_one = await _open_checkout(session, actor, plan, provider.name, now)
    if open_one is not None:
        return open_one
    amount, currency = price_of(plan, provider.name)
    invoice = Invoice(
        company_id=actor.company_id,
        plan_id=plan.id,
        provider=provider.name,
        status=InvoiceStatus.OPEN,
        amount_minor=amount,
        currency=currency,
        period_days=plan.period_days,
        created_by_id=actor.user_id,
        expires_at=now + INVOICE_TTL,
    )
    session.add(invoice)
    await session.flush()
    request = PaymentRequest(
        amount_minor=amount,
        currency=currency,
        description=gettext(
            actor.language, "billing.payment.description", plan=plan.name, days=plan.period_days
        ),
        idempotency_key=f"invoice-{invoice.id}-{uuid.uuid4().hex}",
        metadata={
            "invoice_id": str(invoice.id),
            "company_id": str(actor.company_id),
            "plan": plan.code,
        },
    )
    try:
        created = await provider.create_payment(request)
    except ProviderUnavailableError as exc:
        raise PaymentProviderUnavailable from exc
    payment = Payment(
        company_id=actor.company_id,
        invoice_id=invoice.id,
        provider=provider.name,
        provider_payment_id=created.provider_payment_id,
        status=PaymentStatus.PENDING,
        amount_minor=amount,
        currency=currency,
        confirmation_url=created.confirmation_url,
    )
    session.add(payment)
    await session.flush()
    audit.record_by(
        session,
        actor,
        "billing.checkout_started",
        "invoice",
        invoice.id,
        plan=plan.code,
        provider=provider.name,
        amount_minor=amount,
        currency=currency,
    )
    return Checkout(invoice, payment, plan, created.confirmation_url)


async def _open_checkout(
    session: AsyncSession, actor: Actor, plan: Plan, provider: PaymentProvider, now: datetime
) -> Checkout | None:
    row = (
        await session.execute(
            select(Invoice, Payment)
            .join(Payment, Payment.invoice_id == Invoice.id)
            .where(
                Invoice.company_id == actor.company_id,
                Invoice.plan_id == plan.id,
                Invoice.provider == provider,
                Invoice.status == InvoiceStatus.OPEN,
                Invoice.expires_at > now,
                Payment.status == PaymentStatus.PENDING,
            )
            .order_by(Invoice.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    invoice, payment = row
    return Checkout(invoice, payment, plan, payment.confirmation_url)


@dataclass(frozen=True)
class PayPage:
    """What the sandbox's pay page shows about a payment."""

    payment: Payment
    plan: Plan
    company_name: str


async def pay_page(
    session: AsyncSession, *, provider: PaymentProvider, provider_payment_id: str
) -> PayPage:
    """A payment by the provider's id, for the provider's own page (the sandbox's)."""
    row = (
        await session.execute(
            select(Payment, Plan, Company.name)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .join(Plan, Plan.id == Invoice.plan_id)
            .join(Company, Company.id == Payment.company_id)
            .where(
                Payment.provider == provider,
                Payment.provider_payment_id == provider_payment_id,
            )
        )
    ).first()
    if row is None:
        raise UnknownPayment
    payment, plan, company_name = row
    return PayPage(payment, plan, company_name)


async def settle(
    session: AsyncSession,
    provider_name: PaymentProvider | str,
    notification: Notification,
    state: PaymentState,
    *,
    now: datetime | None = None,
) -> Settlement:
    """Settle what a provider says of a payment, in the caller's transaction.

    `state` is the provider's own record (signed into the notification, or fetched back).
    The event is recorded first (provider + event key unique): a duplicate waits for the first
    one's transaction and changes nothing. The payment row is then locked, so concurrent
    different events of one payment settle one after another. UnknownPayment, AmountMismatch
    or CurrencyMismatch refuse it: the caller rolls back, nothing changes.
    """
    now = now or utcnow()
    provider = PaymentProvider(provider_name)
    if state.provider_payment_id != notification.provider_payment_id:
        raise UnknownPayment
    if not await _record_event(session, provider, notification, now):
        return Settlement.DUPLICATE
    payment = await session.scalar(
        select(Payment)
        .where(
            Payment.provider == provider,
            Payment.provider_payment_id == state.provider_payment_id,
        )
        .with_for_update()
    )
    if payment is None:
        raise UnknownPayment
    if state.amount_minor != payment.amount_minor:
        raise AmountMismatch
    if state.currency != payment.currency:
        raise CurrencyMismatch
    if state.status is PaymentStatus.SUCCEEDED:
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            return Settlement.ALREADY_PAID
        await _paid(session, payment, now)
        return Settlement.APPLIED
    if state.status is PaymentStatus.CANCELED and payment.status is PaymentStatus.PENDING:
        await _canceled(session, payment, now)
        return Settlement.APPLIED
    if state.status is PaymentStatus.REFUNDED and payment.status is PaymentStatus.SUCCEEDED:
        await _refunded(session, payment, now)
        return Settlement.APPLIED
    if state.status is PaymentStatus.REFUNDED and payment.status is PaymentStatus.PENDING:
        # Paid and refunded before we saw it paid: it buys nothing, and a success read late
        # (or fetched before the refund) now meets a refunded payment and changes nothing.
        await _refunded_unpaid(session, payment, now)
        return Settlement.APPLIED
    return Settlement.IGNORED


async def _record_event(
    session: AsyncSession, provider: PaymentProvider, notification: Notification, now: datetime
) -> bool:
    """Whether this event is new (recorded now) rather than one settled before."""
    table = WebhookEvent.__table__
    inserted = await session.execute(
        dialect_insert(session, table)
        .values(
            provider=provider.value,
            event_key=notification.event_key,
            event_type=notification.event_type[:64],
            payload=dict(notification.payload),
            received_at=now,
            processed_at=now,
        )
        .on_conflict_do_nothing(index_elements=[table.c.provider, table.c.event_key])
        .returning(table.c.id)
    )
    return inserted.first() is not None


async def _paid(session: AsyncSession, payment: Payment, now: datetime) -> None:
    invoice = await session.get_one(Invoice, payment.invoice_id)
    plan = await session.get_one(Plan, invoice.plan_id)
    subscription = await subscriptions.extend(
        session,
        company_id=payment.company_id,
        plan=plan,
        paid=timedelta(days=invoice.period_days),
        now=now,
    )
    payment.status = PaymentStatus.SUCCEEDED
    payment.settled_at = now
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    event = audit.record(
        session,
        company_id=payment.company_id,
        user_id=invoice.created_by_id,
        action="billing.paid",
        entity_type="invoice",
        entity_id=invoice.id,
        plan=plan.code,
        provider=payment.provider,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        period_end=subscription.current_period_end,
    )
    await session.flush()
    await subscriptions.tell_owners(
        session,
        payment=payment,
        plan=plan,
        period_end=subscription.current_period_end,
        event_id=event.id,
    )


async def _refunded(session: AsyncSession, payment: Payment, now: datetime) -> None:
    """The provider returned the money (a refund made in its dashboard): what the payment
    bought is taken back, as for an owner's Stars refund, and the owners are told."""
    invoice = await session.get_one(Invoice, payment.invoice_id)
    plan = await session.get_one(Plan, invoice.plan_id)
    payment.status = PaymentStatus.REFUNDED
    period_end = await subscriptions.take_back(
        session, payment, plan, timedelta(days=invoice.period_days), now
    )
    event = _audit_refund(session, payment, period_end)
    await session.flush()
    if period_end is not None:
        # take_back ends a period whose new end has passed now: the owners read that it ended.
        await subscriptions.tell_owners(
            session,
            payment=payment,
            plan=plan,
            period_end=period_end,
            event_id=event.id,
            kind="refunded" if period_end > now else "refunded_ended",
        )


async def _refunded_unpaid(session: AsyncSession, payment: Payment, now: datetime) -> None:
    await _unpaid(session, payment, PaymentStatus.REFUNDED, now)
    _audit_refund(session, payment, None)


async def _unpaid(
    session: AsyncSession, payment: Payment, status: PaymentStatus, now: datetime
) -> None:
    """The payment ends without paying for anything: its invoice, if still open, is canceled."""
    payment.status = status
    payment.settled_at = now
    await session.execute(
        update(Invoice)
        .where(Invoice.id == payment.invoice_id, Invoice.status == InvoiceStatus.OPEN)
        .values(status=InvoiceStatus.CANCELED)
    )


def _audit_refund(session: AsyncSession, payment: Payment, period_end: datetime | None) -> AuditLog:
    return audit.record(
        session,
        company_id=payment.company_id,
        user_id=None,
        action="billing.refunded",
        entity_type="invoice",
        entity_id=payment.invoice_id,
        provider=payment.provider,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        period_end=period_end,
    )


async def _canceled(session: AsyncSession, payment: Payment, now: datetime) -> None:
    await _unpaid(session, payment, PaymentStatus.CANCELED, now)
    audit.record(
        session,
        company_id=payment.company_id,
        user_id=None,
        action="billing.payment_canceled",
        entity_type="invoice",
        entity_id=payment.invoice_id,
        provider=payment.provider,
    )


async def expire_invoices(session: AsyncSession, *, now: datetime) -> int:
    """Open invoices past their expires_at become expired and their pending payments canceled
    (set-based, up to EXPIRE_BATCH per call, each audited); how many were expired.

    A payment that a provider settles later still pays its invoice (settle accepts it).
    """
    due = (
        select(Invoice.id)
        .where(Invoice.status == InvoiceStatus.OPEN, Invoice.expires_at <= now)
        .order_by(Invoice.id)
        .limit(EXPIRE_BATCH)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    expired = (
        await session.execute(
            update(Invoice)
            .where(Invoice.id.in_(due))
            .values(status=InvoiceStatus.EXPIRED)
            .returning(Invoice.id, Invoice.company_id, Invoice.provider)
        )
    ).all()
    if not expired:
        return 0
    await session.execute(
        update(Payment)
        .where(
            Payment.invoice_id.in_([row.id for row in expired]),
            Payment.status == PaymentStatus.PENDING,
        )
        .values(status=PaymentStatus.CANCELED, settled_at=now)
    )
    for invoice_id, company_id, provider in expired:
        audit.record(
            session,
            company_id=company_id,
            user_id=None,
            action="billing.invoice_expired",
            entity_type="invoice",
            entity_id=invoice_id,
            provider=provider,
        )
    return len(expired)
