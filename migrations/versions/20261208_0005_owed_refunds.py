"""owed refunds: Telegram Stars the bot must give back

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 00:07:06.309243+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import teamtasks.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = teamtasks.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "owed_refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("charge_id", sa.String(length=255), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("refunded_at", MOMENT, nullable=True),
        sa.Column("failed_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", MOMENT, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_owed_refunds_amount_positive")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_owed_refunds_attempts_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owed_refunds")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_owed_refunds_charge_id")),
    )


def downgrade() -> None:
    op.drop_table("owed_refunds")
