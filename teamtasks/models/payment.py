"""Invoices, the provider payments that settle them, and the webhook idempotency record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
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
