"""department targets

Targets for a whole department, for a month, a quarter or a year (`department_targets`); a
member's targets keep their table, whose `period` now also holds ``YYYY-Qn`` and ``YYYY``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As storage.models.ExactDecimal: text on SQLite, whose numeric is a float.
NUMBER = sa.Numeric(precision=20, scale=4).with_variant(sa.String(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "department_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kpi", sa.String(length=64), nullable=False),
        sa.Column("value", NUMBER, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_department_targets_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_targets")),
        sa.UniqueConstraint(
            "department_id", "period", "kpi", name=op.f("uq_department_targets_department_id")
        ),
    )


def downgrade() -> None:
    """A department's targets go; members' targets for a quarter or a year go with them, as
    nothing before this revision knew them."""
    op.execute("DELETE FROM targets WHERE period NOT LIKE '____-__' OR period LIKE '____-Q_'")
    op.drop_table("department_targets")
