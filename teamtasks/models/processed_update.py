"""The record that makes update handling exactly-once (DESIGN.md, Delivery guarantees).

A row with outcome `done` is written inside the update's own unit of work, so it exists only if
that work committed. A failed attempt is counted in a short transaction of its own after the
rollback, so a redelivered update runs again until it succeeds or the attempts run out.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import Base, CreatedAt, UpdatedAt, str_enum
from teamtasks.models.enums import UpdateOutcome


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"
    __table_args__ = (CheckConstraint("attempts > 0", name="attempts_positive"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    outcome: Mapped[UpdateOutcome] = mapped_column(str_enum(UpdateOutcome, "outcome"))
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
