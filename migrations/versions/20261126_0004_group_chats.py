"""group chats: a group linked to a company (and a project); tasks made from a group's message

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:04:08.969945+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import teamtasks.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "group_chats",
        sa.Column("id", ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=True),
        sa.Column(
            "language",
            sa.Enum(
                "ru", "en", name="language", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("announce", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("allow_join", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("linked_by_id", ID, nullable=True),
        sa.Column(
            "created_at",
            teamtasks.models.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            teamtasks.models.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_group_chats_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_group_chats_linked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "company_id"],
            ["projects.id", "projects.company_id"],
            name="fk_group_chats_project_same_company",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_chats")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_group_chats_chat_id")),
    )
    op.create_index(op.f("ix_group_chats_company_id"), "group_chats", ["company_id"], unique=False)
    op.add_column("tasks", sa.Column("source_chat_id", sa.BigInteger(), nullable=True))
    op.add_column("tasks", sa.Column("source_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("source_message_id")
        batch_op.drop_column("source_chat_id")
    op.drop_index(op.f("ix_group_chats_company_id"), table_name="group_chats")
    op.drop_table("group_chats")
