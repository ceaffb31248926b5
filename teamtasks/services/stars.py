"""Telegram Stars: which checkouts the bot approves, and an owner's refund of a Stars payment.

Approval (`pre_checkout_query`, before Telegram takes the stars): the payload names an open,
unexpired Stars invoice of the payer's active company whose payment is still pending, and
Telegram's amount and currency are the invoice's. Anything else is refused with a reason the
payer reads; approving settles nothing (the `successful_payment` that follows does).

Refund (owners): the stars of a succeeded Stars payment go back to whoever paid. The payment
becomes refunded (the invoice stays paid: it was paid, then refunded) and an audit row says so.
The refund takes back what the payment bought, never silently keeping it: the period's end
moves back by the invoice's value in days of the current plan (its days as they are if the plan
is the same; after a plan change, converted at the plans' list prices, as the plan change
credited them). When that end has already passed, the subscription expires now (the company
reads everything and creates nothing until someone pays; nothing is deleted). Otherwise, when
another payment of the company went through, the remaining time was paid for and keeps its
state (and grace); when none did, it is trial or granted time, canceled at that end without
grace days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing.stars import EVENT_TYPE, STARS, invoice_id_of
from teamtasks.models import Invoice, Payment, Plan, WebhookEvent
from teamtasks.models.base import utcnow
from teamtasks.models.enums import InvoiceStatus, PaymentProvider, PaymentStatus
from teamtasks.services import audit, subscriptions
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import AmountMismatch, Conflict, CurrencyMismatch, NotFound

REFUNDABLE_SHOWN = 10


@dataclass(frozen=True)
class StarsCharge:
    """A succeeded Stars payment and what Telegram needs to refund it."""

    payment: Payment
    invoice: Invoice
    plan: Plan
    charge_id: str
    """Telegram's telegram_payment_charge_id (the webhook_events row's key)."""
    payer_id: int
    """The Telegram user id of whoever paid: the stars go back to them."""


async def approve_checkout(
    session: AsyncSession,
    *,
    actor: Actor | None,
    payload: str,
    amount: int,
    currency: str,
    now: datetime | None = None,
) -> Invoice:
    """The invoice a checkout pays, when it may be paid; a DomainError saying why otherwise."""
    now = now or utcnow()
    invoice_id = invoice_id_of(payload)
    if actor is None or invoice_id is None:
        raise NotFound("errors.stars.unknown_invoice")
    row = (
        (
            await session.execute(
                select(Invoice, Payment)
                .join(Payment, Payment.invoice_id == Invoice.id)
                .where(
                    Invoice.id == invoice_id,
                    Invoice.company_id == actor.company_id,
                    Payment.provider == PaymentProvider.STARS,
                    Payment.provider_payment_id == payload,
                )
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        raise NotFound("errors.stars.unknown_invoice")
    invoice, payment = row
    if (
        invoice.status is not InvoiceStatus.OPEN
        or invoice.expires_at <= now
        or payment.status is not PaymentStatus.PENDING
    ):
        raise Conflict("errors.stars.invoice_closed")
    if currency != STARS or currency != invoice.currency:
        raise CurrencyMismatch("errors.stars.amount_changed")
    if amount != invoice.amount_minor:
        raise AmountMismatch("errors.stars.amount_changed")
    return invoice


async def refundable(session: AsyncSession, *, actor: Actor) -> list[StarsCharge]:
    """The company's latest Stars payments that can still be refunded (owners)."""
    require(actor, Permission.MANAGE_BILLING)
    rows = await session.execute(
        select(Payment, Invoice, Plan)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .join(Plan, Plan.id == Invoice.plan_id)
        .where(
            Payment.company_id == actor.company_id,
            Payment.provider == PaymentProvider.STARS,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .order_by(Payment.settled_at.desc(), Payment.id.desc())
        .limit(REFUNDABLE_SHOWN)
    )
    charges = []
    for payment, invoice, plan in rows.tuples():
        event = await _charge_event(session, payment)
        if event is not None:
            charges.append(_charge(payment, invoice, plan, event))
    return charges


async def refund(
    session: AsyncSession, *, actor: Actor, invoice_id: int, now: datetime | None = None
) -> StarsCharge:
    """Mark the Stars payment of this invoice refunded and take back what it bought (owners).

    The caller gives the stars back through Telegram before committing, so that a refusal by
    Telegram rolls all of this back.
    """
    require(actor, Permission.MANAGE_BILLING)
    now = now or utcnow()
    row = (
        (
            await session.execute(
                select(Payment, Invoice, Plan)
                .join(Invoice, Invoice.id == Payment.invoice_id)
                .join(Plan, Plan.id == Invoice.plan_id)
                .where(
                    Invoice.id == invoice_id,
                    Payment.company_id == actor.company_id,
                    Payment.provider == PaymentProvider.STARS,
                )
                .with_for_update(of=Payment)
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        raise NotFound("errors.stars.unknown_invoice")
    payment, invoice, plan = row
    if payment.status is PaymentStatus.REFUNDED:
        raise Conflict("errors.stars.already_refunded")
    event = await _charge_event(session, payment)
    if payment.status is not PaymentStatus.SUCCEEDED or event is None:
        raise Conflict("errors.stars.not_refundable")
    payment.status = PaymentStatus.REFUNDED
    period_end = await subscriptions.take_back(
        session, payment, plan, timedelta(days=invoice.period_days), now
    )
    audit.record_by(
        session,
        actor,
        "billing.refunded",
        "invoice",
        invoice.id,
        provider=payment.provider,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        period_end=period_end,
    )
    return _charge(payment, invoice, plan, event)


async def _charge_event(session: AsyncSession, payment: Payment) -> WebhookEvent | None:
    """The successful_payment that settled this payment (it names the charge to refund).

    Settlement stamps the paying event's processed_at with the payment's settled_at; a second
    charge of the same invoice (refunded at once) was processed at another time.
    """
    paid_by_it: ColumnElement[bool] = (
        WebhookEvent.payload["invoice_payload"].as_string() == payment.provider_payment_id
    )
    statement = (
        select(WebhookEvent)
        .where(
            WebhookEvent.provider == PaymentProvider.STARS,
            WebhookEvent.event_type == EVENT_TYPE,
            paid_by_it,
        )
        .order_by((WebhookEvent.processed_at == payment.settled_at).desc(), WebhookEvent.id)
        .limit(1)
    )
    event: WebhookEvent | None = await session.scalar(statement)
    return event


def _charge(payment: Payment, invoice: Invoice, plan: Plan, event: WebhookEvent) -> StarsCharge:
    return StarsCharge(
        payment=payment,
        invoice=invoice,
        plan=plan,
        charge_id=event.event_key,
        payer_id=int(event.payload["payer_id"]),
    )
