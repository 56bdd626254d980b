"""needs targets leave and reachability

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "acknowledged",
                "done",
                "declined",
                name="needstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("reply_from_telegram_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name=op.f("fk_needs_cycle_id_cycles")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_needs_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_needs_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["members.id"],
            name=op.f("fk_needs_updated_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_member_id"), ["member_id"], unique=False)

    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kpi", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_targets_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["members.id"],
            name=op.f("fk_targets_set_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("member_id", "period", "kpi", name=op.f("uq_targets_member_id")),
    )
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_leave", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("remind_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("plan_review", sa.JSON(), nullable=True))

    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_outgoing_messages_chat", ["chat_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_messages_chat")
        batch_op.drop_column("claimed_by")

    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("plan_review")
        batch_op.drop_column("deadline")
        batch_op.drop_column("remind_after")
        batch_op.drop_column("on_leave")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("unreachable_since")

    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_column("closed_at")

    op.drop_table("targets")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_member_id"))
        batch_op.drop_index(batch_op.f("ix_needs_department_id"))

    op.drop_table("needs")
