"""page versions (history and revert)

Revision ID: 0006
Revises: 0002

Pages that exist before this revision have no versions kept: their history starts with the
first change made after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import adapters.sqla.schema

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_versions",
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=8), nullable=False),
        sa.Column("agent", sa.String(length=40), nullable=True),
        sa.Column(
            "changed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reverts_to", sa.Integer(), nullable=True),
        sa.Column("undoes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_versions_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "version", name=op.f("pk_page_versions")),
    )


def downgrade() -> None:
    op.drop_table("page_versions")
