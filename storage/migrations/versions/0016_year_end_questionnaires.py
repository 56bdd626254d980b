"""year-end questionnaires

A cycle may now be a department's year-end questionnaire (`kind` "year_end", its period the
December it follows). `kind` is stored as a plain string, so the table is unchanged; going
back removes those cycles with everything answered in them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the new kind fits the column as it is."""


def downgrade() -> None:
    """Year-end questionnaires go: an older version knows no such cycle."""
    cycles = "SELECT id FROM cycles WHERE kind = 'year_end'"
    submissions = f"SELECT id FROM submissions WHERE cycle_id IN ({cycles})"
    op.execute(f"DELETE FROM answers WHERE submission_id IN ({submissions})")
    op.execute(f"DELETE FROM review_comments WHERE submission_id IN ({submissions})")
    op.execute(f"DELETE FROM needs WHERE cycle_id IN ({cycles})")
    op.execute(f"DELETE FROM submissions WHERE cycle_id IN ({cycles})")
    op.execute("DELETE FROM cycles WHERE kind = 'year_end'")
