"""outbox due index in claim order

The sender claims the message due longest ago (then the oldest): with the id in the index, the
claim reads the queue in that order and stops at the first message that may go, instead of
sorting every pending message for each claim.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_messages_due")
        batch_op.create_index(
            "ix_outgoing_messages_due", ["state", "not_before", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_messages_due")
        batch_op.create_index("ix_outgoing_messages_due", ["state", "not_before"], unique=False)
