"""review reminders

When a month end's managers were reminded of the reports they had not marked reviewed (or it
was found that nobody needed to be). Month ends whose deadline had been handled (or that were
closed) before this version count as handled: an upgrade reminds nobody of an old month end.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_reminder_handled_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE cycles SET review_reminder_handled_at = COALESCE(deadline_handled_at, closed_at)"
        " WHERE deadline_handled_at IS NOT NULL OR closed_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_column("review_reminder_handled_at")
