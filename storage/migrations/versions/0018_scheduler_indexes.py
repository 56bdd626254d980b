"""scheduler indexes

On every tick the scheduler looks for the few month ends with something to do: a deadline not
handled yet or still to come, a reminder to review not handled yet, a member's extended
deadline still to come, a member who asked to be reminded later. With an index on each of
those columns a tick finds them without reading every cycle and every submission of every
year.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.create_index("ix_cycles_deadline", ["deadline"], unique=False)
        batch_op.create_index(
            "ix_cycles_deadline_handled_at", ["deadline_handled_at"], unique=False
        )
        batch_op.create_index(
            "ix_cycles_review_reminder_handled_at", ["review_reminder_handled_at"], unique=False
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_deadline", ["deadline"], unique=False)
        batch_op.create_index("ix_submissions_remind_after", ["remind_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_remind_after")
        batch_op.drop_index("ix_submissions_deadline")
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_index("ix_cycles_review_reminder_handled_at")
        batch_op.drop_index("ix_cycles_deadline_handled_at")
        batch_op.drop_index("ix_cycles_deadline")
