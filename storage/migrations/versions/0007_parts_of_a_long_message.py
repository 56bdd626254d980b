"""parts of a long message

Telegram apps send a text over 4,096 characters as several messages in a row. While the parts
of such a message may still come, a submission remembers until when (by the messages' own
dates) and which question they belong to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_question", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("parts_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("parts_until")
        batch_op.drop_column("parts_question")
