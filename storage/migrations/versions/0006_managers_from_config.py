"""managers from config

A manager listed in the config is marked, so that one removed from it stops being a manager at
the next start while managers who joined with an invite stay. A manager of an older database
who never redeemed a manager invite can only have come from the config.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("from_config", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE members SET from_config = TRUE WHERE role = 'manager' AND NOT EXISTS ("
        "SELECT 1 FROM invites WHERE invites.role = 'manager'"
        " AND (invites.used_by_id = members.id OR invites.member_id = members.id))"
    )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("from_config")
