"""digest summaries

The digest's written summary, asked of a language model once at the deadline: the sentences
that passed the checks, each with the members it cites, or why there is none, and the tokens
the call used.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_digest_summaries_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_summaries")),
        sa.UniqueConstraint("cycle_id", name=op.f("uq_digest_summaries_cycle_id")),
    )
    op.create_table(
        "summary_sentences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["summary_id"],
            ["digest_summaries.id"],
            name=op.f("fk_summary_sentences_summary_id_digest_summaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_sentences")),
    )
    with op.batch_alter_table("summary_sentences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_summary_sentences_summary_id"), ["summary_id"], unique=False
        )
    op.create_table(
        "summary_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sentence_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_summary_citations_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sentence_id"],
            ["summary_sentences.id"],
            name=op.f("fk_summary_citations_sentence_id_summary_sentences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_citations")),
        sa.UniqueConstraint(
            "sentence_id", "member_id", name=op.f("uq_summary_citations_sentence_id")
        ),
    )
    with op.batch_alter_table("summary_citations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_summary_citations_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("summary_citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_citations_member_id"))
    op.drop_table("summary_citations")
    with op.batch_alter_table("summary_sentences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_sentences_summary_id"))
    op.drop_table("summary_sentences")
    op.drop_table("digest_summaries")
