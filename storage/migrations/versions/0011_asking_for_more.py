"""asking for more

A review thread's entries have a kind: a comment (or reply), a manager asking for more on one
answer (the member is asked that question again), or the member's change of the answer, kept
with the answer before and after it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "comment", "ask", "change", name="commentkind", native_enum=False, length=20
                ),
                nullable=False,
                server_default="comment",
            )
        )
        batch_op.add_column(sa.Column("change", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.drop_column("change")
        batch_op.drop_column("kind")
