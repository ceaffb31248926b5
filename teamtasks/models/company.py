"""The tenant, its memberships and its invite links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import Role


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
        CheckConstraint("task_counter >= 0", name="task_counter_non_negative"),
        CheckConstraint("storage_used_bytes >= 0", name="storage_used_non_negative"),
    )

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    task_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    storage_used_bytes: Mapped[int] = mapped_column(BIGINT, default=0, server_default="0")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    created_at: Mapped[CreatedAt]


class Invite(Base):
    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint("uses >= 0", name="uses_non_negative"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_max"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(48), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0, server_default="0")
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
