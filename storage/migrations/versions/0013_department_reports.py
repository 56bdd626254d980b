"""department reports

A cycle is a team's month end or the department's report written upward after it (`kind`,
"team" for every cycle so far), so a department has up to one of each per month; a report
keeps the team's figures and themes it starts from (`team_summary`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "uq_cycles_department_id"


def upgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("team", "report", name="cyclekind", native_enum=False, length=20),
                server_default="team",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("team_summary", sa.JSON(), nullable=True))
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["department_id", "period", "kind"])


def downgrade() -> None:
    """Department reports go: a department keeps one cycle a month again."""
    reports = "SELECT id FROM cycles WHERE kind = 'report'"
    submissions = f"SELECT id FROM submissions WHERE cycle_id IN ({reports})"
    for table, column, rows in (
        ("answers", "submission_id", submissions),
        ("review_comments", "submission_id", submissions),
        ("needs", "cycle_id", reports),
        ("submissions", "cycle_id", reports),
        ("cycles", "id", reports),
    ):
        op.execute(f"DELETE FROM {table} WHERE {column} IN ({rows})")
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["department_id", "period"])
        batch_op.drop_column("team_summary")
        batch_op.drop_column("kind")
