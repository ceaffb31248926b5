"""A company's trial (granted once) and its one current subscription."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, false
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import SubscriptionStatus


class Trial(Base):
    __tablename__ = "trials"
    __table_args__ = (CheckConstraint("ends_at > started_at", name="ends_after_start"),)

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("current_period_end > current_period_start", name="period_end_after_start"),
        Index("ix_subscriptions_status_current_period_end", "status", "current_period_end"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[SubscriptionStatus] = mapped_column(str_enum(SubscriptionStatus, "status"))
    current_period_start: Mapped[datetime]
    current_period_end: Mapped[datetime]
    grace_until: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
