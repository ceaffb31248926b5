"""A Telegram user; one row per Telegram account, whatever companies it belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import Language


class User(Base):
    __tablename__ = "users"

    id: Mapped[IntPK]
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[Language | None] = mapped_column(str_enum(Language, "language"))
    active_company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    is_reachable: Mapped[bool] = mapped_column(default=True, server_default=true())
    unreachable_since: Mapped[datetime | None]
    morning_digest: Mapped[bool] = mapped_column(default=True, server_default=true())
    """Whether the worker sends the 09:00 digest of today's and overdue tasks (`/digest`)."""
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
