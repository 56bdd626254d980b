"""exact numbers on SQLite

SQLite kept answers' numbers and targets as floats, which round numbers of more than 15 digits;
they are kept as text now (storage.models.ExactDecimal). The copy turns each float into the
shortest text that reads back as it, which is the number as it was typed wherever the float held
it exactly. PostgreSQL's numeric(20, 4) was exact already and stays.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = (("answers", "number", True), ("targets", "value", False))
NUMERIC = sa.Numeric(precision=20, scale=4)


def upgrade() -> None:
    _retype(NUMERIC, sa.String())


def downgrade() -> None:
    _retype(sa.String(), NUMERIC)


def _retype(before: sa.types.TypeEngine[Any], after: sa.types.TypeEngine[Any]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column, nullable in NUMBERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=before, type_=after, existing_nullable=nullable
            )
