"""A file attached to a task; the object lives in storage under the company's prefix."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK


class File(Base):
    __tablename__ = "files"
    __table_args__ = (
        ForeignKeyConstraint(
            ["task_id", "company_id"],
            ["tasks.id", "tasks.company_id"],
            name="fk_files_task_same_company",
            ondelete="CASCADE",
        ),
        CheckConstraint("size_bytes >= 0", name="size_non_negative"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(BIGINT, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BIGINT)
    sha256: Mapped[str] = mapped_column(String(64))
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[CreatedAt]
