"""A plan a company pays for: prices in minor units and the limits it grants."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_non_negative"),
        CheckConstraint("price_stars >= 0", name="price_stars_non_negative"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint("period_days > 0", name="period_positive"),
        CheckConstraint("max_members > 0", name="max_members_positive"),
        CheckConstraint("max_projects > 0", name="max_projects_positive"),
        CheckConstraint("max_storage_bytes >= 0", name="max_storage_non_negative"),
    )

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    price_minor: Mapped[int] = mapped_column(BIGINT)
    currency: Mapped[str] = mapped_column(String(3))
    price_stars: Mapped[int] = mapped_column(BIGINT)
    period_days: Mapped[int]
    max_members: Mapped[int]
    max_projects: Mapped[int]
    max_storage_bytes: Mapped[int] = mapped_column(BIGINT)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[CreatedAt]
