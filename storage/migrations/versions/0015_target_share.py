"""target share

How a department's month without a target takes its share of the quarter's or year's
(`departments.target_share`, from the config): "none" until the config is synced.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.add_column(
            sa.Column("target_share", sa.String(length=16), server_default="none", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.drop_column("target_share")
