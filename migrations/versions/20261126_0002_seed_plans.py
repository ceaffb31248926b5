"""seed the Team and Business plans; the trial and existing subscriptions get Team

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIB = 1024**3

PLANS = [
    {
        "code": "team",
        "name": "Team",
        "price_minor": 99_000,
        "currency": "RUB",
        "price_stars": 650,
        "period_days": 30,
        "max_members": 15,
        "max_projects": 20,
        "max_storage_bytes": 10 * GIB,
    },
    {
        "code": "business",
        "name": "Business",
        "price_minor": 299_000,
        "currency": "RUB",
        "price_stars": 1_950,
        "period_days": 30,
        "max_members": 100,
        "max_projects": 200,
        "max_storage_bytes": 100 * GIB,
    },
]
"""Monthly prices in RUB minor units (990 ₽, 2990 ₽) and in Telegram Stars."""

plans = sa.table(
    "plans",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("price_minor", sa.BigInteger),
    sa.column("currency", sa.String),
    sa.column("price_stars", sa.BigInteger),
    sa.column("period_days", sa.Integer),
    sa.column("max_members", sa.Integer),
    sa.column("max_projects", sa.Integer),
    sa.column("max_storage_bytes", sa.BigInteger),
)


def upgrade() -> None:
    op.bulk_insert(plans, PLANS)
    team = "(SELECT id FROM plans WHERE code = 'team')"
    op.execute(f"UPDATE trials SET plan_id = {team} WHERE plan_id IS NULL")
    op.execute(f"UPDATE subscriptions SET plan_id = {team} WHERE plan_id IS NULL")


def downgrade() -> None:
    seeded = "(SELECT id FROM plans WHERE code IN ('team', 'business'))"
    op.execute(f"UPDATE trials SET plan_id = NULL WHERE plan_id IN {seeded}")
    op.execute(f"UPDATE subscriptions SET plan_id = NULL WHERE plan_id IN {seeded}")
    op.execute("DELETE FROM plans WHERE code IN ('team', 'business')")
