"""indexes for every message

What every text message and /needs look up, found through an index instead of a scan that
grows with the months stored: whether a need waits for the sender's reply
(`needs.reply_from_telegram_id`), whether a manager's ask for more is answered yet
(`review_comments.reply_to_id`), the open cycles (`cycles.state`) and a department's
unresolved needs (`needs.department_id, status`).

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
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycles_state"), ["state"], unique=False)
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_needs_reply_from_telegram_id"), ["reply_from_telegram_id"], unique=False
        )
        batch_op.create_index(
            "ix_needs_department_id_status", ["department_id", "status"], unique=False
        )
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_comments_reply_to_id"), ["reply_to_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_comments_reply_to_id"))
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_department_id_status")
        batch_op.drop_index(batch_op.f("ix_needs_reply_from_telegram_id"))
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycles_state"))
