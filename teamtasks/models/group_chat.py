"""A Telegram group linked to a company (and optionally one of its projects): its workspace."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from teamtasks.models.base import BIGINT, Base, CreatedAt, IntPK, UpdatedAt, str_enum
from teamtasks.models.enums import Language


class GroupChat(Base):
    __tablename__ = "group_chats"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "company_id"],
            ["projects.id", "projects.company_id"],
            name="fk_group_chats_project_same_company",
        ),
    )

    id: Mapped[IntPK]
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    """Telegram's id of the group; follows the group when it becomes a supergroup."""
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(BIGINT)
    language: Mapped[Language] = mapped_column(str_enum(Language, "language"))
    """The language of what the bot posts there unasked (announcements): the linker's."""
    announce: Mapped[bool] = mapped_column(default=True, server_default=true())
    allow_join: Mapped[bool] = mapped_column(default=False, server_default=false())
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
