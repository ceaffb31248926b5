"""Invoices, the provider payments that settle them, the webhook idempotency record, and the
Telegram Stars the bot owes back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import InvoiceStatus, PaymentProvider, PaymentStatus


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint("period_days > 0", name="period_positive"),
        Index("ix_invoices_status_created_at", "status", "created_at"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "provider"))
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "status"), default=InvoiceStatus.OPEN
    )
    amount_minor: Mapped[int] = mapped_column(BIGINT)
    currency: Mapped[str] = mapped_column(String(3))
    period_days: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        Index("ix_payments_status_created_at", "status", "created_at"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "provider"))
    provider_payment_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "status"), default=PaymentStatus.PENDING
    )
    amount_minor: Mapped[int] = mapped_column(BIGINT)
    currency: Mapped[str] = mapped_column(String(3))
    confirmation_url: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class WebhookEvent(Base):
    """One provider notification, recorded once: (provider, event_key) is the idempotency key."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_key"),)

    id: Mapped[IntPK]
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "provider"))
    event_key: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[CreatedAt]
    processed_at: Mapped[datetime | None]


class OwedRefund(Base):
    """A Stars charge the bot must give back (refundStarPayment): one that paid for nothing (a
    second charge of a paid invoice, a payment no invoice matches).

    Written in the unit of work that settles the charge, so the debt is committed with the
    event; tried at once, then by the worker (teamtasks/services/owed_refunds.py) until
    Telegram takes it (`refunded_at`) or refuses it for good (`failed_at`, for an operator).
    """

    __tablename__ = "owed_refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: Mapped[IntPK]
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    """Telegram's telegram_payment_charge_id."""
    payer_id: Mapped[int] = mapped_column(BigInteger)
    """The payer's Telegram user id."""
    amount: Mapped[int] = mapped_column(BIGINT)
    """Stars (XTR has no minor unit)."""
    reason: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    refunded_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
