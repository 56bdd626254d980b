"""needs newest first

`/needs` shows a department's unresolved needs a page at a time, newest first: found through
`(department_id, id)`, read backwards, instead of reading every unresolved need of every year
to sort them. The index on `department_id` alone is its prefix, and goes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_department_id_id", ["department_id", "id"], unique=False)
        batch_op.drop_index("ix_needs_department_id")


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_department_id", ["department_id"], unique=False)
        batch_op.drop_index("ix_needs_department_id_id")
