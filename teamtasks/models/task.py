"""A task, numbered per company (#12), and its comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import TaskPriority, TaskStatus


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        UniqueConstraint("id", "company_id"),
        ForeignKeyConstraint(
            ["project_id", "company_id"],
            ["projects.id", "projects.company_id"],
            name="fk_tasks_project_same_company",
        ),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("length(title) BETWEEN 1 AND 256", name="title_length"),
        Index("ix_tasks_company_id_status", "company_id", "status"),
        Index("ix_tasks_company_id_assignee_id", "company_id", "assignee_id"),
        Index("ix_tasks_company_id_project_id", "company_id", "project_id"),
        Index("ix_tasks_due_at", "due_at"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    project_id: Mapped[int | None] = mapped_column(BIGINT)
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "status"), default=TaskStatus.TODO
    )
    priority: Mapped[TaskPriority] = mapped_column(
        str_enum(TaskPriority, "priority"), default=TaskPriority.NORMAL
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None]
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    """The group whose message the task was made from (`/new` as a reply), and that message."""
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    completed_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class TaskComment(Base):
    __tablename__ = "task_comments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["task_id", "company_id"],
            ["tasks.id", "tasks.company_id"],
            name="fk_task_comments_task_same_company",
            ondelete="CASCADE",
        ),
        CheckConstraint("length(text) BETWEEN 1 AND 4000", name="text_length"),
    )

    id: Mapped[IntPK]
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(BIGINT, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
