"""Insights tables: theme proposals, shared counters, theme excludes, an index on run ends.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:47:10.786960
"""

# mypy: disable-error-code="attr-defined"

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "counter",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "theme_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["theme_id"], ["theme.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theme_proposal_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_ended_at"), ["ended_at"], unique=False)

    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclude", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_column("exclude")

    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_ended_at"))

    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_proposal_created_at"))

    op.drop_table("theme_proposal")
    op.drop_table("counter")
