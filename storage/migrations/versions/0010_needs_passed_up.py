"""needs passed up

A need passed up to the organisation: when and by whom, when the organisation last answered
it, and whether the reply being written is the organisation's.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reply_as_org", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("org_answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_needs_escalated_by_id_members"),
            "members",
            ["escalated_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_needs_escalated_by_id_members"), type_="foreignkey")
        batch_op.drop_column("org_answered_at")
        batch_op.drop_column("escalated_by_id")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("reply_as_org")
