"""indexes for every message

What every text message looks up, found through an index instead of a scan that grows with
the months stored: whether a need waits for the sender's reply (`needs.reply_from_telegram_id`)
and whether a manager's ask for more is answered yet (`review_comments.reply_to_id`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_needs_reply_from_telegram_id"), ["reply_from_telegram_id"], unique=False
        )
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_comments_reply_to_id"), ["reply_to_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_comments_reply_to_id"))
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_reply_from_telegram_id"))
